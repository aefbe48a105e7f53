// An empty NativeAOT program: see EmptyAot.csproj.
return 0;
