using Autograd.Samples;

Bptt.Run(Console.Out, outputDirectory: "bptt-output");
