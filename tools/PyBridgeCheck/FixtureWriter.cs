using System.Text.Encodings.Web;
using System.Text.Json;

namespace PyBridgeCheck;

/// <summary>
/// Collects PyBridge-written files with what they must load as, and writes them as the JSON
/// fixture of tests/Nn.Tests/Serialization/PyBridgeFilesTests.cs.
/// </summary>
internal sealed class FixtureWriter
{
    private readonly List<Action<Utf8JsonWriter>> _cases = [];

    /// <summary>A file of plain tensors: its bytes, its metadata (null: none) and every tensor's expected values.</summary>
    public void AddTensorFile(string name, byte[] file, IReadOnlyDictionary<string, string>? metadata, List<Expected> tensors)
    {
        _cases.Add(w =>
        {
            w.WriteString("name", name);
            w.WriteString("kind", "tensors");
            w.WriteString("file_base64", Convert.ToBase64String(file));
            WriteMetadata(w, metadata);
            WriteTensors(w, "tensors", tensors);
        });
    }

    /// <summary>A model file: its bytes, its state dict's expected values, an input and the writer's output for it.</summary>
    public void AddModelFile(string name, string model, byte[] file, List<Expected> state, Expected input, Expected output, double measuredUlps)
    {
        _cases.Add(w =>
        {
            w.WriteString("name", name);
            w.WriteString("kind", "model");
            w.WriteString("model", model);
            w.WriteString("file_base64", Convert.ToBase64String(file));
            WriteMetadata(w, null);
            WriteTensors(w, "tensors", state);
            w.WritePropertyName("input");
            WriteTensor(w, input);
            w.WritePropertyName("output");
            WriteTensor(w, output);
            w.WriteNumber("output_max_ulps_measured", Math.Round(measuredUlps, 3));
        });
    }

    public void Write(string path)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteString("generator", "tools/PyBridgeCheck (bash tools/pybridge_check.sh --fixture tests/Nn.Tests/Fixtures/safetensors/pybridge.json)");
        w.WriteString("writer", $"TorchSharp.PyBridge 1.4.4 (Safetensors.SaveStateDict, Module.save_safetensors) on TorchSharp-cpu 0.107.0, libtorch {TorchSharp.torch.__version__}");
        w.WriteString("note",
            "file_base64 holds each file exactly as PyBridge wrote it. float32_bits are the Float32 bit patterns a tensor loads as " +
            "(for F16 and BF16, libtorch's .to(float32) of the stored patterns on its vector path, which equals PyTorch 1.13's .float() " +
            "for all 65536 patterns), float64_bits the Float64 ones, values the Int64 " +
            "values of integer and BOOL tensors (libtorch's .to(int64)). A model case's output is TorchSharp's eval-mode output on input; " +
            "output_max_ulps_measured is this library's largest difference from it, in units of roundoff times the output's largest magnitude.");
        w.WriteStartArray("cases");
        foreach (var write in _cases)
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter w, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            w.WriteNull("metadata");
            return;
        }

        w.WriteStartObject("metadata");
        foreach (var (key, value) in metadata)
        {
            w.WriteString(key, value);
        }

        w.WriteEndObject();
    }

    private static void WriteTensors(Utf8JsonWriter w, string property, List<Expected> tensors)
    {
        w.WriteStartArray(property);
        foreach (var t in tensors)
        {
            WriteTensor(w, t);
        }

        w.WriteEndArray();
    }

    private static void WriteTensor(Utf8JsonWriter w, Expected t)
    {
        w.WriteStartObject();
        w.WriteString("name", t.Name);
        w.WriteString("dtype", t.FileDType);
        w.WriteStartArray("shape");
        foreach (long d in t.Shape)
        {
            w.WriteNumberValue(d);
        }

        w.WriteEndArray();
        if (t.Float32Bits is not null)
        {
            w.WriteStartArray("float32_bits");
            foreach (uint b in t.Float32Bits)
            {
                w.WriteNumberValue(b);
            }

            w.WriteEndArray();
        }
        else if (t.Float64Bits is not null)
        {
            w.WriteStartArray("float64_bits");
            foreach (ulong b in t.Float64Bits)
            {
                w.WriteNumberValue(b);
            }

            w.WriteEndArray();
        }
        else
        {
            w.WriteStartArray("values");
            foreach (long v in t.Int64Values!)
            {
                w.WriteNumberValue(v);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }
}
