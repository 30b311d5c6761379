using SelfSup.Cli;

return Cli.Run(args);
