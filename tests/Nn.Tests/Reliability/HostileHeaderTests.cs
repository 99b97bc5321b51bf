using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Autograd.Nn.Serialization;
using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Reliability;

/// <summary>
/// Issue 12, attack 9: a header built to cost as much as possible within the 100 MB header limit.
/// The work and memory a header can cause are bounded (at most
/// <see cref="SafeTensors.MaxEntries"/> tensors and as many metadata entries,
/// <see cref="SafeTensors.MaxRank"/> dims per shape, nothing kept for ignored fields), and error
/// messages are bounded too: they name the first few offenders and a count, and shorten long names.
/// Allocations are measured on the loading thread (the whole load runs there).
/// </summary>
[TestFixture]
[Category("Regression")]
public sealed class HostileHeaderTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "autograd-hostile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteDirectory()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Writes a file with <paramref name="header"/> and <paramref name="dataBytes"/> zero bytes of data; returns its path and length.</summary>
    private (string Path, long Length) Write(StringBuilder header, int dataBytes = 0)
    {
        var h = Encoding.UTF8.GetBytes(header.ToString());
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        string path = Path.Combine(_dir, "hostile.safetensors");
        File.WriteAllBytes(path, bytes);
        return (path, bytes.Length);
    }

    /// <summary>"{"t0":{...},"t1":{...},...}": <paramref name="count"/> tensors of zero elements, all at offset 0.</summary>
    private static StringBuilder ZeroSizeTensors(int count)
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(CultureInfo.InvariantCulture, $"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}");
        }
        return sb.Append('}');
    }

    private static (Exception Error, long Allocated) Measure(Action load)
    {
        GC.Collect(); // keeps a collection out of the measurement's way (the counter counts allocations, not live bytes)
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Should.Throw<Exception>(load);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"{allocated:N0} bytes allocated; {e.GetType().Name} ({e.Message.Length} characters): {e.Message[..Math.Min(400, e.Message.Length)]}");
        return (e, allocated);
    }

    [Test]
    public void Load_160000ZeroSizeTensors_RefusedCheaplyWithAShortMessage()
    {
        // The attack as reported: a 9 MB header allocated 248 MB and built a 1.6-million-character message.
        var (path, length) = Write(ZeroSizeTensors(160_000));
        TestContext.Out.WriteLine($"{length:N0} byte file");
        var model = ModelFileTests.Model(2);
        var before = ModelFileTests.Snapshot(model);

        var (e, allocated) = Measure(() => model.Load(path));

        e.ShouldBeOfType<InvalidDataException>().Message.ShouldContain(path);
        e.Message.ShouldContain("more than 100000 tensors");
        e.Message.Length.ShouldBeLessThan(1000);
        allocated.ShouldBeLessThan(2 * length); // the header itself, read once
        ModelFileTests.ShouldBeUnchanged(model, before, "hostile header");
    }

    [Test]
    public void Load_100000UnexpectedTensors_MessageNamesTheFirstFewAndACount()
    {
        // At the cap: a valid file, so it is read whole; the state-dict check then reports every
        // key as unexpected (and the model's four as missing) in a message of bounded length.
        var (path, length) = Write(ZeroSizeTensors(SafeTensors.MaxEntries));
        var model = ModelFileTests.Model(2);
        var before = ModelFileTests.Snapshot(model);

        var (e, allocated) = Measure(() => model.Load(path));

        e.ShouldBeOfType<InvalidDataException>().Message.ShouldContain(path);
        e.Message.ShouldContain("Unexpected key(s) in state_dict: \"t0\", \"t1\"");
        e.Message.ShouldContain("and 99990 more");
        e.Message.ShouldContain("Missing key(s) in state_dict: \"0.weight\"");
        e.Message.Length.ShouldBeLessThan(2000);
        // The header, then about 480 bytes per entry (its name, shape and records, the load's
        // dictionary, sets and sorted list of unexpected keys); the reader before the fix: ~1,550.
        allocated.ShouldBeLessThan(length + SafeTensors.MaxEntries * 600L);
        ModelFileTests.ShouldBeUnchanged(model, before, "hostile header");
    }

    [Test]
    public void LoadStateDict_10000UnexpectedKeys_MessageNamesTheFirstFewAndACount()
    {
        var model = ModelFileTests.Model(2);
        var state = model.StateDict();
        for (int i = 0; i < 10_000; i++) state[$"extra{i}"] = Tensor.Zeros(1);
        var e = Should.Throw<ArgumentException>(() => model.LoadStateDict(state));
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldContain("\"extra0\"");
        e.Message.ShouldContain("and 9990 more");
        e.Message.Length.ShouldBeLessThan(1000);
    }

    [Test]
    public void Load_2000WrongShapes_MessageListsTheFirstFewProblemsAndACount()
    {
        var state = Enumerable.Range(0, 2000).ToDictionary(i => $"p{i}", _ => Tensor.Zeros(1));
        var model = new ModelFileTests.StateHolder(state);
        var wrong = new ModelFileTests.StateHolder(state.ToDictionary(kv => kv.Key, _ => Tensor.Zeros(2)));
        string path = Path.Combine(_dir, "wrong.safetensors");
        wrong.Save(path);
        var e = Should.Throw<InvalidDataException>(() => model.Load(path));
        TestContext.Out.WriteLine(e.Message);
        e.Message.ShouldContain("size mismatch for p0");
        e.Message.ShouldContain("and 1990 more problems");
        e.Message.Length.ShouldBeLessThan(2000);
    }

    [Test]
    public void Load_KeyOfAMillionCharacters_MessageShortensIt()
    {
        var (path, _) = Write(new StringBuilder("{\"").Append('k', 1_000_000).Append("\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"), 4);
        var (e, _) = Measure(() => ModelFileTests.Model(2).Load(path));
        e.ShouldBeOfType<InvalidDataException>().Message.ShouldContain("Unexpected key(s)");
        e.Message.ShouldContain("1000000 characters");
        e.Message.Length.ShouldBeLessThan(2000);
    }

    [Test]
    public void Load_DuplicateKeyOfAMillionCharacters_MessageShortensIt()
    {
        string key = new('k', 1_000_000);
        string entry = $"\"{key}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}";
        var (path, _) = Write(new StringBuilder("{").Append(entry).Append(',').Append(entry).Append('}'));
        var (e, _) = Measure(() => ModelFileTests.Model(2).Load(path));
        e.ShouldBeOfType<InvalidDataException>().Message.ShouldContain("duplicate key");
        e.Message.Length.ShouldBeLessThan(2000);
    }

    [Test]
    public void Read_ShapeWithAMillionDims_RefusedNamingTheLimit()
    {
        var sb = new StringBuilder("{\"a\":{\"dtype\":\"F32\",\"shape\":[1");
        for (int i = 1; i < 1_000_000; i++) sb.Append(",1");
        var (path, length) = Write(sb.Append("],\"data_offsets\":[0,4]}}"), 4);
        var (e, allocated) = Measure(() => SafeTensors.Read(path));
        e.ShouldBeOfType<InvalidDataException>().Message.ShouldContain("'shape' has more than 64 dimensions");
        allocated.ShouldBeLessThan(2 * length);
    }

    [Test]
    public void Read_MetadataWith200000Keys_RefusedCheaply()
    {
        var sb = new StringBuilder("{\"__metadata__\":{");
        for (int i = 0; i < 200_000; i++) sb.Append(CultureInfo.InvariantCulture, $"{(i > 0 ? "," : "")}\"m{i}\":\"\"");
        var (path, length) = Write(sb.Append("}}"));
        var (e, allocated) = Measure(() => SafeTensors.Read(path));
        e.ShouldBeOfType<InvalidDataException>().Message.ShouldContain("more than 100000 metadata entries");
        allocated.ShouldBeLessThan(2 * length);
    }

    [Test]
    public void Read_DataOffsetsOfAMillionElements_RefusedCheaply()
    {
        var sb = new StringBuilder("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0");
        for (int i = 1; i < 1_000_000; i++) sb.Append(",4");
        var (path, length) = Write(sb.Append("]}}"), 4);
        var (e, allocated) = Measure(() => SafeTensors.Read(path));
        e.ShouldBeOfType<InvalidDataException>().Message.ShouldContain("'data_offsets' must be [begin, end] but has 1000000 elements");
        allocated.ShouldBeLessThan(2 * length);
    }

    [Test]
    public void Read_IgnoredFieldOfAMillionElements_SkippedWithoutKeepingIt()
    {
        var sb = new StringBuilder("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"ignored\":[0");
        for (int i = 1; i < 1_000_000; i++) sb.Append(",[0]");
        var (path, length) = Write(sb.Append("]}}"), 4);
        GC.Collect();
        long before = GC.GetAllocatedBytesForCurrentThread();
        SafeTensors.Read(path).Single().Name.ShouldBe("a");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        TestContext.Out.WriteLine($"{allocated:N0} bytes allocated for a {length:N0} byte file");
        allocated.ShouldBeLessThan(2 * length);
    }
}
