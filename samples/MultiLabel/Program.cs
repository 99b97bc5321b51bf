using Autograd.Samples;

MultiLabel.Run(Console.Out);
