namespace Autograd.Nn;

/// <summary>
/// Splitting datasets into <see cref="Subset{T}"/>s (<c>torch.utils.data.random_split</c>):
/// <c>var splits = Subset.RandomSplit(ds, [0.8, 0.2], new Generator(0));</c> gives a training
/// subset of 80 % of the samples and a test subset of the other 20 %.
/// </summary>
public static class Subset
{
    /// <summary>
    /// Splits a dataset into non-overlapping subsets of the given lengths (like
    /// <c>torch.utils.data.random_split</c>): a random permutation of 0..Count-1 is cut into
    /// consecutive pieces of <paramref name="lengths"/>[0], [1], ... samples.
    /// </summary>
    /// <remarks>
    /// The permutation comes from <see cref="Generator.Permutation"/>, so a seed gives the same
    /// split every run, but not the split PyTorch gives for that seed (<c>torch.randperm</c> draws
    /// other numbers). The lengths, and which samples end up together, follow PyTorch's semantics.
    /// </remarks>
    /// <typeparam name="T">The type of one sample.</typeparam>
    /// <param name="dataset">The dataset to split.</param>
    /// <param name="lengths">The length of each split, non-negative, summing to <c>dataset.Count</c>.</param>
    /// <param name="generator">The random source of the permutation; <see cref="Generator.Default"/> when null.</param>
    /// <returns>One <see cref="Subset{T}"/> per length, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> or <paramref name="lengths"/> is null.</exception>
    /// <exception cref="ArgumentException">A length is negative, or the lengths do not sum to the dataset's count (the message names both).</exception>
    public static Subset<T>[] RandomSplit<T>(IDataset<T> dataset, IReadOnlyList<int> lengths, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(lengths);
        long sum = 0;
        for (int i = 0; i < lengths.Count; i++)
        {
            if (lengths[i] < 0)
                throw new ArgumentException($"RandomSplit: lengths[{i}] = {lengths[i]} is negative.", nameof(lengths));
            sum += lengths[i];
        }
        int n = dataset.Count;
        if (sum != n)
            throw new ArgumentException(
                $"RandomSplit: the lengths [{string.Join(", ", lengths)}] sum to {sum}, but the dataset has {n} samples; the sum of input lengths must equal the length of the input dataset.",
                nameof(lengths));
        int[] permutation = (generator ?? Generator.Default).Locked(g => g.Permutation(n));
        var splits = new Subset<T>[lengths.Count];
        int offset = 0;
        for (int i = 0; i < splits.Length; i++)
        {
            splits[i] = new Subset<T>(dataset, new ArraySegment<int>(permutation, offset, lengths[i]));
            offset += lengths[i];
        }
        return splits;
    }

    /// <summary>
    /// Splits a dataset into non-overlapping subsets holding the given fractions of its samples
    /// (<c>torch.utils.data.random_split</c> with fractions, as PyTorch 1.13): split i gets
    /// ⌊Count·fractions[i]⌋ samples, then the samples left over are handed out one at a time to
    /// splits 0, 1, 2, ... in turn. For example 10 samples split [0.33, 0.33, 0.34] give lengths
    /// [4, 3, 3]. The lengths then go to <see cref="RandomSplit{T}(IDataset{T}, IReadOnlyList{int}, Generator?)"/>
    /// (whose remarks on the permutation apply).
    /// </summary>
    /// <typeparam name="T">The type of one sample.</typeparam>
    /// <param name="dataset">The dataset to split.</param>
    /// <param name="fractions">Each between 0 and 1, summing to 1 (within a relative 1e-9, and not above 1, as PyTorch's <c>math.isclose</c> test).</param>
    /// <param name="generator">The random source of the permutation; <see cref="Generator.Default"/> when null.</param>
    /// <returns>One <see cref="Subset{T}"/> per fraction, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> or <paramref name="fractions"/> is null.</exception>
    /// <exception cref="ArgumentException">A fraction is not between 0 and 1 (or is NaN), or the fractions do not sum to 1.</exception>
    public static Subset<T>[] RandomSplit<T>(IDataset<T> dataset, IReadOnlyList<double> fractions, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(fractions);
        return RandomSplit(dataset, FractionLengths(dataset.Count, fractions), generator);
    }

    /// <summary>PyTorch 1.13's lengths for <paramref name="fractions"/> of <paramref name="n"/> samples.</summary>
    internal static int[] FractionLengths(int n, IReadOnlyList<double> fractions)
    {
        if (fractions.Count == 0)
            throw new ArgumentException("RandomSplit needs at least one fraction.", nameof(fractions));
        double sum = 0; // left to right, as Python's sum()
        for (int i = 0; i < fractions.Count; i++)
        {
            double f = fractions[i];
            if (!(f >= 0 && f <= 1))
                throw new ArgumentException($"RandomSplit: fractions[{i}] = {f} is not between 0 and 1.", nameof(fractions));
            sum += f;
        }
        // math.isclose(sum, 1) with its default rel_tol 1e-9, and sum <= 1.
        if (!(Math.Abs(sum - 1) <= 1e-9 * Math.Max(Math.Abs(sum), 1) && sum <= 1))
            throw new ArgumentException($"RandomSplit: the fractions [{string.Join(", ", fractions)}] sum to {sum}, not 1.", nameof(fractions));
        var lengths = new int[fractions.Count];
        long total = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            lengths[i] = (int)Math.Floor(n * fractions[i]);
            total += lengths[i];
        }
        for (long i = 0; i < n - total; i++) lengths[i % lengths.Length]++;
        return lengths;
    }
}
