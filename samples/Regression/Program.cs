using Autograd.Samples;

Regression.Run(Console.Out);
