namespace SelfSup.Methods;
public static class SimClr { public static MethodInfo Info => throw new NotImplementedException(); }
