using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Autograd.Kernels;

namespace Autograd.Benchmarks;

/// <summary>
/// Square float32 matrix products through the GEMM kernel, on <see cref="Threading.NumThreads"/>
/// threads (all cores by default). Compare with <c>tools/bench_torch.py</c>, which times the same
/// products in PyTorch. The GFLOP/s column is 2·n³ / median.
/// </summary>
[Config(typeof(Config))]
public class MatMulBenchmarks
{
    private float[] a = [];
    private float[] b = [];
    private float[] c = [];

    /// <summary>The matrix size n of the n×n×n product.</summary>
    [Params(256, 1024)]
    public int N { get; set; }

    /// <summary>Fills the operands with reproducible random values.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        a = new float[N * N];
        b = new float[N * N];
        c = new float[N * N];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)rng.NextDouble();
            b[i] = (float)rng.NextDouble();
        }
    }

    /// <summary>C = A·B.</summary>
    [Benchmark]
    public void Sgemm() => MatMulKernel.Gemm(false, false, N, N, N, a, b, c);

    /// <summary>C = Aᵀ·B (the weight-gradient shape).</summary>
    [Benchmark]
    public void SgemmTransA() => MatMulKernel.Gemm(true, false, N, N, N, a, b, c);

    /// <summary>C = A·Bᵀ (the input-gradient / linear-layer shape).</summary>
    [Benchmark]
    public void SgemmTransB() => MatMulKernel.Gemm(false, true, N, N, N, a, b, c);

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(StatisticColumn.Median);
            AddColumn(new GflopsColumn());
            SummaryStyle = BenchmarkDotNet.Reports.SummaryStyle.Default.WithMaxParameterColumnWidth(20);
        }
    }

    /// <summary>2·n³ floating-point operations divided by the median time.</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);

        public string ColumnName => "GFLOP/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "2·n³ / median time, in 10⁹ floating-point operations per second";

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats)
            {
                return "NA";
            }

            double n = Convert.ToDouble(benchmarkCase.Parameters["N"]);
            double seconds = stats.Median / 1e9;
            return (2 * n * n * n / seconds / 1e9).ToString("F1");
        }
    }
}
