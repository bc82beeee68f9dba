/**
 * Neural-network building blocks on top of {@code io.github.jgrad.autodiff}, using only its public
 * API: modules ({@link io.github.jgrad.nn.Module}, {@link io.github.jgrad.nn.Linear},
 * {@link io.github.jgrad.nn.Sequential}, {@link io.github.jgrad.nn.Activation},
 * {@link io.github.jgrad.nn.Dropout}), losses ({@link io.github.jgrad.nn.Loss}), optimizers
 * ({@link io.github.jgrad.nn.SGD}, {@link io.github.jgrad.nn.Adam}) with learning-rate schedules
 * ({@link io.github.jgrad.nn.Schedule}), initialisers ({@link io.github.jgrad.nn.Init}), mini-batches
 * ({@link io.github.jgrad.nn.DataLoader}), a training loop ({@link io.github.jgrad.nn.Trainer}), and
 * saving and loading in NumPy's formats: one array per {@code .npy} file
 * ({@link io.github.jgrad.nn.Npy}), named arrays in an {@code .npz} archive
 * ({@link io.github.jgrad.nn.Npz}), a whole model's parameters with {@code Module.save}/{@code load}.
 *
 * <p><b>Atomic saves.</b> {@code save} writes to a new temporary file in the target's directory
 * (named {@code .NAME.RANDOM.tmp}, NAME cut to its first 100 bytes), forces it to the device
 * ({@code FileChannel.force}), renames it over the target with {@code ATOMIC_MOVE}, then syncs the
 * directory where the platform allows. An exception at any point leaves the old file as it was (or
 * the complete new one, if it came after the rename) and deletes the temporary file. A crash leaves
 * either the old file or the complete new one under the target's name, never a partial file, but
 * may leave the temporary file behind (it is never mistaken for the target). Where the file system
 * cannot rename atomically, an ordinary replacing move is used instead, and a crash at that moment
 * may leave no file at all. The saved file gets the default permissions of a new file.
 *
 * <p><b>Imports.</b> {@code Module} shares its simple name with {@code java.lang.Module}: after
 * {@code import io.github.jgrad.nn.*;} a use of {@code Module} is ambiguous, so import it by name
 * ({@code import io.github.jgrad.nn.Module;}), as the examples do.
 */
package io.github.jgrad.nn;
