namespace Autograd;

/// <summary>
/// The base of the library's own fused ops (losses, <c>Linear</c>): a <see cref="Function"/> whose
/// backward keeps nothing it is given, so the engine may recycle the gradients it passes in.
/// A user-defined <see cref="Function"/> might keep them, so its gradients are never recycled.
/// </summary>
internal abstract class BuiltInFunction : Function
{
    internal sealed override bool KeepsNoGradient => true;
}
