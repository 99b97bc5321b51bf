using NUnit.Framework;
using Shouldly;

namespace Autograd.Nn.Tests.Reliability;

/// <summary>
/// Module.Save is atomic (issue 6): the bytes go to a temporary file beside the target that then
/// replaces it, so a save that fails midway - the temporary file cannot be created, the rename
/// cannot happen, the state fails validation - leaves the good file that was there, loadable, and
/// no temporary file behind.
/// </summary>
[TestFixture]
public sealed class AtomicSaveTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "autograd-atomic-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void DeleteDirectory()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private string[] Leftovers() => Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories);

    /// <summary>Saves model 1 to <paramref name="path"/>, runs a failing save, and checks that the good file is intact.</summary>
    private void GoodFileSurvives(string path, Action failingSave, Type expected)
    {
        var good = ModelFileTests.Model(1);
        string staging = Path.Combine(_dir, "staging.safetensors");
        good.Save(staging);
        File.Move(staging, path); // Save itself could not write a name this long (see below)
        byte[] bytes = File.ReadAllBytes(path);

        var e = Should.Throw<Exception>(failingSave);
        expected.IsInstanceOfType(e).ShouldBeTrue($"{e.GetType().Name}: {e.Message}");
        TestContext.Out.WriteLine($"{e.GetType().Name}: {e.Message}");

        File.ReadAllBytes(path).ShouldBe(bytes);
        var check = ModelFileTests.Model(3);
        check.Load(path);
        ModelFileTests.Snapshot(check).ShouldBe(ModelFileTests.Snapshot(good));
        Leftovers().ShouldBeEmpty();
    }

    [Test]
    public void Save_TemporaryFileCannotBeCreated_GoodFileUntouched()
    {
        // The temporary name is "." + name + "." + 32 hex digits + ".tmp": 38 characters longer than
        // the file name, so a 240-character name (legal: NAME_MAX is 255) has one the OS refuses.
        string path = Path.Combine(_dir, new string('m', 228) + ".safetensors");
        Path.GetFileName(path).Length.ShouldBe(240);
        GoodFileSurvives(path, () => ModelFileTests.Model(2).Save(path), typeof(IOException));
    }

    [Test]
    public void Save_RenameOntoTheTargetFails_TargetDirectoryUntouched()
    {
        // The target is a directory: the temporary file is written, the rename fails, the temporary file goes.
        string target = Path.Combine(_dir, "model.safetensors");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "keep");
        var e = Should.Throw<IOException>(() => ModelFileTests.Model(2).Save(target));
        TestContext.Out.WriteLine($"{e.GetType().Name}: {e.Message}");
        Directory.Exists(target).ShouldBeTrue();
        File.ReadAllText(Path.Combine(target, "keep.txt")).ShouldBe("keep");
        Leftovers().ShouldBeEmpty();
    }

    [Test]
    public void Save_StateFailsValidation_GoodFileUntouched()
    {
        // "__metadata__" is reserved by the safetensors format; the write is validated before any byte is written.
        string path = Path.Combine(_dir, "model.safetensors");
        var bad = new NnCatalogue.Probe();
        bad.Register("__metadata__", Tensor.Ones(2));
        GoodFileSurvives(path, () => bad.Save(path), typeof(ArgumentException));
    }

    [Test]
    public void Save_DirectoryDoesNotExist_NothingIsCreated()
    {
        string path = Path.Combine(_dir, "missing", "model.safetensors");
        Should.Throw<DirectoryNotFoundException>(() => ModelFileTests.Model(2).Save(path));
        Directory.Exists(Path.Combine(_dir, "missing")).ShouldBeFalse();
        Leftovers().ShouldBeEmpty();
    }

    [Test]
    public void Save_OverAGoodFile_ReplacesItWhole()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        ModelFileTests.Model(1).Save(path);
        var second = ModelFileTests.Model(2);
        second.Save(path);
        var check = ModelFileTests.Model(3);
        check.Load(path);
        ModelFileTests.Snapshot(check).ShouldBe(ModelFileTests.Snapshot(second));
        Leftovers().ShouldBeEmpty();
    }

    [Test]
    public void Save_WhileAnotherThreadReadsTheFile_ReaderSeesOldOrNewNeverAMix()
    {
        // The rename is atomic: a concurrent Load sees either the old file or the new one, whole.
        string path = Path.Combine(_dir, "model.safetensors");
        var a = ModelFileTests.Model(1);
        var b = ModelFileTests.Model(2);
        a.Save(path);
        var (snapA, snapB) = (ModelFileTests.Snapshot(a), ModelFileTests.Snapshot(b));
        using var stop = new CancellationTokenSource();
        int loads = 0;
        var reader = Task.Run(() =>
        {
            var m = ModelFileTests.Model(3);
            while (!stop.IsCancellationRequested)
            {
                m.Load(path);
                var s = ModelFileTests.Snapshot(m);
                bool isA = s.Zip(snapA).All(p => p.First.SequenceEqual(p.Second));
                bool isB = s.Zip(snapB).All(p => p.First.SequenceEqual(p.Second));
                (isA || isB).ShouldBeTrue("a load saw a mix of two saves");
                loads++;
            }
        });
        for (int i = 0; i < 200; i++) (i % 2 == 0 ? b : a).Save(path);
        stop.Cancel();
        reader.Wait(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        loads.ShouldBeGreaterThan(0);
        Leftovers().ShouldBeEmpty();
    }

    // ---- symbolic links (issue 12): Save writes through the link, as torch.save and safetensors'
    // save_file do (they open the path, which follows it); the link itself stays a link.

    [Test]
    [Category("Regression")]
    public void Save_ThroughASymbolicLink_ReplacesTheTargetAtomicallyAndKeepsTheLink()
    {
        string models = Directory.CreateDirectory(Path.Combine(_dir, "models")).FullName;
        string target = Path.Combine(models, "v1.safetensors");
        ModelFileTests.Model(1).Save(target);
        string link = Path.Combine(_dir, "latest.safetensors");
        File.CreateSymbolicLink(link, Path.Combine("models", "v1.safetensors")); // relative, as `ln -s` makes them

        var second = ModelFileTests.Model(2);
        second.Save(link);

        new FileInfo(link).LinkTarget.ShouldBe(Path.Combine("models", "v1.safetensors")); // was replaced by a regular file
        var check = ModelFileTests.Model(3);
        check.Load(target);
        ModelFileTests.Snapshot(check).ShouldBe(ModelFileTests.Snapshot(second));
        Leftovers().ShouldBeEmpty();
    }

    [Test]
    [Category("Regression")]
    public void Save_ThroughAChainOfLinks_WritesTheFinalTarget()
    {
        string target = Path.Combine(_dir, "real.safetensors");
        ModelFileTests.Model(1).Save(target);
        File.CreateSymbolicLink(Path.Combine(_dir, "middle.safetensors"), target);
        string link = Path.Combine(_dir, "outer.safetensors");
        File.CreateSymbolicLink(link, Path.Combine(_dir, "middle.safetensors"));

        var second = ModelFileTests.Model(2);
        second.Save(link);

        new FileInfo(link).LinkTarget.ShouldNotBeNull();
        new FileInfo(Path.Combine(_dir, "middle.safetensors")).LinkTarget.ShouldBe(target);
        var check = ModelFileTests.Model(3);
        check.Load(target);
        ModelFileTests.Snapshot(check).ShouldBe(ModelFileTests.Snapshot(second));
    }

    [Test]
    [Category("Regression")]
    public void Save_ThroughADanglingLink_CreatesTheTarget()
    {
        string target = Path.Combine(_dir, "new.safetensors");
        string link = Path.Combine(_dir, "link.safetensors");
        File.CreateSymbolicLink(link, target);

        var model = ModelFileTests.Model(2);
        model.Save(link);

        new FileInfo(link).LinkTarget.ShouldBe(target);
        File.Exists(target).ShouldBeTrue();
        var check = ModelFileTests.Model(3);
        check.Load(link);
        ModelFileTests.Snapshot(check).ShouldBe(ModelFileTests.Snapshot(model));
    }

    [Test]
    [Category("Regression")]
    public void Save_ThroughALinkIntoAMissingDirectory_ThrowsAndCreatesNothing()
    {
        string link = Path.Combine(_dir, "link.safetensors");
        File.CreateSymbolicLink(link, Path.Combine(_dir, "missing", "model.safetensors"));
        Should.Throw<DirectoryNotFoundException>(() => ModelFileTests.Model(2).Save(link));
        Directory.Exists(Path.Combine(_dir, "missing")).ShouldBeFalse();
        new FileInfo(link).LinkTarget.ShouldNotBeNull();
        Leftovers().ShouldBeEmpty();
    }

    [Test]
    public void Save_ThroughALoopOfLinks_ThrowsIOExceptionAndWritesNothing()
    {
        string a = Path.Combine(_dir, "a.safetensors"), b = Path.Combine(_dir, "b.safetensors");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        var e = Should.Throw<IOException>(() => ModelFileTests.Model(2).Save(a));
        TestContext.Out.WriteLine(e.Message);
        new FileInfo(a).LinkTarget.ShouldBe(b);
        Leftovers().ShouldBeEmpty();
    }
}
