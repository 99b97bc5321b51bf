using Autograd.Nn.Serialization;
using NUnit.Framework;
using Shouldly;
using static Autograd.Nn.Tests.Modules.ModuleFixtures;

namespace Autograd.Nn.Tests.Modules;

/// <summary>
/// <see cref="Module.Save"/> and <see cref="Module.Load"/>: exact round trips, a model file
/// written from a PyTorch 1.13 state dict (tools/gen_module_fixtures.py, section "state_files")
/// loading and reproducing PyTorch's outputs, and every failure leaving the model (and, for
/// Save, the existing file) unchanged.
/// </summary>
[TestFixture]
public sealed class ModuleFilesTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "module-files-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Sequential Mlp(long seed, DType dtype = DType.Float32)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(4, 3, generator: g, dtype: dtype), new ReLU(), new Linear(3, 2, generator: g, dtype: dtype));
    }

    private string PathOf(string name) => Path.Combine(_dir, name);

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void SaveLoad_RoundTrip_IsBitExact(DType dtype)
    {
        var source = Mlp(1, dtype);
        string path = PathOf("model.safetensors");
        source.Save(path);

        var target = Mlp(2, dtype);
        var tensors = target.Parameters().ToList();
        var result = target.Load(path);

        result.MissingKeys.ShouldBeEmpty();
        result.UnexpectedKeys.ShouldBeEmpty();
        target.Parameters().ShouldBe(tensors);
        AssertUnchanged(target, Snapshot(source));
        SafeTensors.ReadMetadata(path).ShouldNotBeNull()["format"].ShouldBe("pt");
        Directory.GetFiles(_dir).Length.ShouldBe(1); // no temporary file left behind
    }

    [Test]
    public void Save_OverExistingFile_ReplacesIt()
    {
        string path = PathOf("model.safetensors");
        File.WriteAllText(path, "old contents");
        Mlp(1).Save(path);
        var target = Mlp(2);
        target.Load(path);
        AssertUnchanged(target, Snapshot(Mlp(1)));
    }

    [Test]
    public void Save_ModuleWithoutParameters_LoadsBack()
    {
        string path = PathOf("empty.safetensors");
        new Sequential(new ReLU(), new Identity()).Save(path);
        SafeTensors.Read(path).ShouldBeEmpty();
        new Identity().Load(path).UnexpectedKeys.ShouldBeEmpty();
    }

    // ------------------------------------------------------------ PyTorch's file

    private static IEnumerable<string> StateFileCases() => List("state_files").Select(c => c.GetProperty("name").GetString()!);

    [TestCaseSource(nameof(StateFileCases))]
    public void Load_FileFromPyTorchStateDict_ReproducesPyTorchOutput(string name)
    {
        var c = Section("state_files")[name];
        var dtype = ParseDType(c.GetProperty("dtype").GetString()!);
        byte[] bytes = Convert.FromBase64String(c.GetProperty("file_base64").GetString()!);
        string path = PathOf("torch.safetensors");
        File.WriteAllBytes(path, bytes);

        var model = Mlp(99, dtype);
        model.Load(path);

        // The parameters are PyTorch's, bit for bit.
        var state = c.GetProperty("state").EnumerateArray().ToList();
        model.NamedParameters().Select(p => p.Name).ShouldBe(state.Select(s => s.GetProperty("name").GetString()!));
        foreach (var (s, (pname, p)) in state.Zip(model.NamedParameters()))
            AssertBitwiseEqual(p, ToTensor(s), pname);

        // The output matches PyTorch's within the rounding-error bound of the two layers: with
        // u the unit roundoff and γ_n = n u / (1 - n u), each implementation's hidden value is
        // within e1 = γ_5 Σ|x w1| + |b1| of the exact one (ReLU does not enlarge errors), and its
        // output within γ_4 (Σ|h w2| + |b2| + Σ|w2| e1) + Σ|w2| e1; ours and PyTorch's differ by
        // at most twice that.
        var x = ToTensor(c.GetProperty("input"));
        var expected = ToTensor(c.GetProperty("output"));
        var y = model.Forward(x);
        y.Shape.ShouldBe(expected.Shape);
        double[] bound = TwoLayerBound(Values(x), model, dtype);
        double[] a = Values(y), e = Values(expected);
        for (int i = 0; i < e.Length; i++)
            Math.Abs(a[i] - e[i]).ShouldBeLessThanOrEqualTo(2 * bound[i], $"{name} output[{i}]: {a[i]:R} vs PyTorch {e[i]:R}");

        // Saving the loaded model gives back PyTorch's file byte for byte (same names, layout and metadata).
        string again = PathOf("again.safetensors");
        model.Save(again);
        File.ReadAllBytes(again).ShouldBe(bytes);
    }

    private static double[] TwoLayerBound(double[] x, Sequential model, DType dtype)
    {
        double u = UnitRoundoff(dtype);
        static double Gamma(int n, double u) => n * u / (1 - n * u);
        var (l1, l2) = ((Linear)model[0], (Linear)model[2]);
        double[] w1 = Values(l1.Weight), b1 = Values(l1.Bias!), w2 = Values(l2.Weight), b2 = Values(l2.Bias!);
        int n = x.Length / 4;
        var bound = new double[n * 2];
        for (int r = 0; r < n; r++)
        {
            var h = new double[3];
            var e1 = new double[3];
            for (int j = 0; j < 3; j++)
            {
                double sum = b1[j], mag = Math.Abs(b1[j]);
                for (int k = 0; k < 4; k++)
                {
                    sum += x[r * 4 + k] * w1[j * 4 + k];
                    mag += Math.Abs(x[r * 4 + k] * w1[j * 4 + k]);
                }
                h[j] = Math.Max(sum, 0);
                e1[j] = Gamma(5, u) * mag;
            }
            for (int o = 0; o < 2; o++)
            {
                double mag = Math.Abs(b2[o]), propagated = 0;
                for (int j = 0; j < 3; j++)
                {
                    mag += Math.Abs(h[j] * w2[o * 3 + j]) + Math.Abs(w2[o * 3 + j]) * e1[j];
                    propagated += Math.Abs(w2[o * 3 + j]) * e1[j];
                }
                bound[r * 2 + o] = Gamma(4, u) * mag + propagated;
            }
        }
        return bound;
    }

    // ------------------------------------------------------------ Load failures change nothing

    private void AssertLoadFailsUnchanged<TException>(Module model, string path, params string[] expected) where TException : Exception
    {
        var before = Snapshot(model);
        var e = Should.Throw<TException>(() => model.Load(path));
        foreach (var text in expected) e.Message.ShouldContain(text);
        AssertUnchanged(model, before);
    }

    [Test]
    public void Load_MissingFile_ThrowsFileNotFound()
        => AssertLoadFailsUnchanged<FileNotFoundException>(Mlp(1), PathOf("nope.safetensors"), "nope.safetensors");

    [Test]
    public void Load_TruncatedFile_ThrowsInvalidData()
    {
        string path = PathOf("model.safetensors");
        Mlp(2).Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);
        AssertLoadFailsUnchanged<InvalidDataException>(Mlp(1), path, "model.safetensors");
    }

    [Test]
    public void Load_NotSafetensors_ThrowsInvalidData()
    {
        string path = PathOf("model.safetensors");
        File.WriteAllText(path, "this is not a model file at all");
        AssertLoadFailsUnchanged<InvalidDataException>(Mlp(1), path, "model.safetensors");
    }

    [Test]
    public void Load_WrongShape_ThrowsNamingKeyAndShapes()
    {
        // The first layer fits, the last does not: a loader that copied as it went would have
        // changed 0.weight and 0.bias before noticing.
        string path = PathOf("wide.safetensors");
        var g = new Generator(3);
        new Sequential(new Linear(4, 3, generator: g), new ReLU(), new Linear(3, 5, generator: g)).Save(path);
        AssertLoadFailsUnchanged<InvalidDataException>(Mlp(1), path, "wide.safetensors", "size mismatch for 2.weight", "[5, 3]", "[2, 3]", "size mismatch for 2.bias");
    }

    [Test]
    public void Load_MissingKey_ThrowsInvalidData()
    {
        string path = PathOf("nobias.safetensors");
        var g = new Generator(3);
        new Sequential(new Linear(4, 3, generator: g), new ReLU(), new Linear(3, 2, bias: false, generator: g)).Save(path);
        AssertLoadFailsUnchanged<InvalidDataException>(Mlp(1), path, "Missing key(s)", "\"2.bias\"");
    }

    [Test]
    public void Load_ExtraKey_Strict_ThrowsInvalidData_NonStrict_Loads()
    {
        string path = PathOf("bigger.safetensors");
        var g = new Generator(3);
        var bigger = new Sequential(new Linear(4, 3, generator: g), new ReLU(), new Linear(3, 2, generator: g), new Linear(2, 1, generator: g));
        bigger.Save(path);
        var model = Mlp(1);
        AssertLoadFailsUnchanged<InvalidDataException>(model, path, "Unexpected key(s)", "\"3.weight\"", "\"3.bias\"");

        var result = model.Load(path, strict: false);
        result.UnexpectedKeys.ShouldBe(["3.bias", "3.weight"]);
        AssertBitwiseEqual(((Linear)model[2]).Weight, ((Linear)bigger[2]).Weight, "2.weight");
    }

    [Test]
    public void Load_UnsupportedDType_ThrowsInvalidData()
    {
        string path = PathOf("ints.safetensors");
        var state = Mlp(2).StateDict();
        var entries = state.Select(kv => kv.Key == "2.bias"
            ? new SafeTensorEntry(kv.Key, "I64", [2], SafeTensors.EncodeInt64s([1L, 2L]))
            : new SafeTensorEntry(kv.Key, "F32", kv.Value.Shape.Select(d => (long)d).ToArray(), SafeTensors.EncodeSingles(kv.Value.Buffer<float>()))).ToList();
        SafeTensors.Write(path, entries);
        AssertLoadFailsUnchanged<InvalidDataException>(Mlp(1), path, "2.bias", "I64");
    }

    [Test]
    public void Load_Float32FileIntoFloat64Model_Converts()
    {
        string path = PathOf("f32.safetensors");
        var source = Mlp(5);
        source.Save(path);
        var target = Mlp(6, DType.Float64);
        target.Load(path);
        foreach (var ((name, p), (_, s)) in target.NamedParameters().Zip(source.NamedParameters()))
            AssertBitwiseEqual(p, s.To(DType.Float64), name);
    }

    [Test]
    public void SaveLoad_EmptyPath_Throws()
    {
        Should.Throw<ArgumentException>(() => Mlp(1).Save(""));
        Should.Throw<ArgumentException>(() => Mlp(1).Load(""));
        Should.Throw<ArgumentNullException>(() => Mlp(1).Save(null!));
    }

    // ------------------------------------------------------------ Save failures keep the old file

    [Test]
    public void Save_FailsMidway_LeavesExistingFileIntact()
    {
        // A 250-character file name is valid, but the temporary file written next to it first
        // (".<name>.<guid>.tmp") exceeds the 255-byte name limit of Linux, macOS and Windows file
        // systems: the save fails after the old file exists and before it could be replaced. (This
        // works as root too, unlike a read-only directory.)
        string path = PathOf(new string('m', 250));
        byte[] old = [1, 2, 3, 4];
        File.WriteAllBytes(path, old);

        Should.Throw<IOException>(() => Mlp(1).Save(path));

        File.ReadAllBytes(path).ShouldBe(old);
        Directory.GetFiles(_dir).ShouldBe([path]);
    }

    [Test]
    public void Save_PathIsADirectory_ThrowsAndLeavesItIntact()
    {
        string path = PathOf("model.safetensors");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "inside.txt"), "keep");

        Should.Throw<Exception>(() => Mlp(1).Save(path)).ShouldBeAssignableTo<IOException>();

        File.ReadAllText(Path.Combine(path, "inside.txt")).ShouldBe("keep");
        Directory.GetFiles(_dir).ShouldBeEmpty(); // no temporary file left behind
    }

    [Test]
    public void Save_MissingParentDirectory_Throws()
        => Should.Throw<DirectoryNotFoundException>(() => Mlp(1).Save(PathOf(Path.Combine("no", "such", "dir.safetensors"))));
}
