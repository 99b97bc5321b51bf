using Autograd.Samples.Names;

// dotnet run --project samples/Names [-- --output DIR]
string output = args.Length == 2 && args[0] == "--output" ? args[1] : "names-output";
NameClassifier.Run(Console.Out, NameClassifier.DefaultDataDirectory, output);
