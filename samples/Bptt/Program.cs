using Autograd.Samples;

Bptt.Run(Console.Out);
