using Autograd.Samples;

// dotnet run --project samples/GraphDrawing [output folder, default graph-output]
GraphDrawing.Run(Console.Out, args.Length > 0 ? args[0] : "graph-output");
