/**
 * Neural-network building blocks on top of {@code io.github.jgrad.autodiff}. So far: saving and
 * loading tensors in NumPy's formats, one array per {@code .npy} file ({@link io.github.jgrad.nn.Npy})
 * or named arrays in an {@code .npz} archive ({@link io.github.jgrad.nn.Npz}). Layers, losses and
 * optimizers are still to come; see the README.
 *
 * <p><b>Atomic saves.</b> {@code save} writes to a new temporary file in the target's directory
 * (named {@code .NAME.RANDOM.tmp}), forces it to the device ({@code FileChannel.force}), renames it
 * over the target with {@code ATOMIC_MOVE}, then syncs the directory where the platform allows. A
 * crash or an exception at any point leaves either the old file or the complete new one under the
 * target's name; on an exception the temporary file is deleted (a crash can leave one behind, which
 * is never mistaken for the target). Where the file system cannot rename atomically, an ordinary
 * replacing move is used instead. The saved file gets the default permissions of a new file.
 */
package io.github.jgrad.nn;
