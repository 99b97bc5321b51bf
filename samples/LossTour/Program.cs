using Autograd.Samples;

// dotnet run --project samples/LossTour                                   the tour
// dotnet run --project samples/LossTour -- --pictures docs/images/losses  regenerate docs/losses.md's pictures
if (args.Length == 2 && args[0] == "--pictures") LossPictures.Write(args[1], Console.Out);
else LossTour.Run(Console.Out);
