using Autograd.Samples;

// dotnet run --project samples/GraphDrawing [output folder, default graph-output]
// dotnet run --project samples/GraphDrawing -- --teaching docs/images   (redraws docs/images/teaching-mlp.svg)
if (args.Length == 2 && args[0] == "--teaching")
{
    string path = Path.Combine(args[1], "teaching-mlp.svg");
    File.WriteAllText(path, TeachingMlp.Picture());
    Console.WriteLine($"wrote {path}");
}
else
{
    GraphDrawing.Run(Console.Out, args.Length > 0 ? args[0] : "graph-output");
}
