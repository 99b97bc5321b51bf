using Autograd.Samples;

LossTour.Run(Console.Out);
