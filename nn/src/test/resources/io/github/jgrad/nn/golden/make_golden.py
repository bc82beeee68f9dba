#!/usr/bin/env python3
"""Writes the golden .npy/.npz files that NpyGoldenTest reads (run from anywhere; numpy >= 1.17).

    python3 make_golden.py           # (re)writes the files next to this script

The tests (NpyGoldenTest, NpyErrorsTest) hard-code the values below, so keep the two in step. Every
array is written by numpy's own np.save / np.savez / np.savez_compressed / format.write_array, never
by hand; only the two odd archives at the end are assembled with zipfile. The files are
deterministic except the timestamps inside the zip (.npz) files.
"""
import io
import os
import warnings
import zipfile

import numpy as np
from numpy.lib import format as npformat

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, array):
    np.save(os.path.join(HERE, name), array)


def main():
    # float64 arrays that jgrad writes byte for byte the same (NpyGoldenTest.writesNumpysBytes)
    save("f8_scalar.npy", np.array(3.5))
    save("f8_1d.npy", np.array([1.5, -2.25, 1e300, 5e-324, 0.1]))
    save("f8_2x3.npy", np.arange(6.0).reshape(2, 3) / 4 - 0.5)
    save("f8_2x3x4.npy", np.arange(24.0).reshape(2, 3, 4) * 0.125)
    save("f8_empty_0x3.npy", np.zeros((0, 3)))
    save("f8_empty_1000000x0.npy", np.zeros((1000000, 0)))  # 7-digit first axis: less growth space
    # header of exactly 117 characters, so numpy pads with 64 spaces rather than 0
    save("f8_pad64.npy", np.zeros((0,) + (1,) * 11 + (100000,)))
    save("f8_special.npy", np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 2.2250738585072014e-308]))

    # layouts and byte orders jgrad reads but never writes
    save("f8_fortran_2x3.npy", np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    save("f8_fortran_2x3x4.npy", np.asfortranarray(np.arange(24.0).reshape(2, 3, 4)))
    save("f8_big_endian_2x3.npy", np.arange(6.0, dtype=">f8").reshape(2, 3))
    for version in [(2, 0), (3, 0)]:
        with open(os.path.join(HERE, "f8_v%d_2x3.npy" % version[0]), "wb") as f:
            npformat.write_array(f, np.arange(6.0).reshape(2, 3), version=version)

    # other dtypes: converted exactly to double
    save("f4_2x2.npy", np.array([[0.1, -1.5], [3.4028235e38, np.nan]], dtype="<f4"))
    save("f4_big_endian.npy", np.array([1.25, -0.1], dtype=">f4"))
    save("i1.npy", np.array([-128, 127], dtype=np.int8))
    save("u1.npy", np.array([0, 255], dtype=np.uint8))
    save("i2.npy", np.array([-32768, 32767], dtype=np.int16))
    save("u2.npy", np.array([65535], dtype=np.uint16))
    save("i4.npy", np.array([-2**31, 2**31 - 1, 0], dtype=np.int32))
    save("u4.npy", np.array([2**32 - 1], dtype=np.uint32))
    save("i8.npy", np.array([-2**63, 2**62, -3, 0, 2**53], dtype=np.int64))
    save("u8.npy", np.array([2**64 - 2**11, 7], dtype=np.uint64))  # 2^64 - 2^11: 53 significant bits
    save("b1.npy", np.array([True, False, True]))

    # rejected
    save("i8_inexact.npy", np.array([1, 2**53 + 1], dtype=np.int64))
    save("c16.npy", np.array([1 + 2j]))
    save("f2.npy", np.array([1.0], dtype=np.float16))
    save("structured.npy", np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]))

    # archives: names in a non-alphabetical order, which Npz.load must keep
    arrays = {
        "weights": np.arange(12.0).reshape(3, 4) / 8,
        "bias": np.array([0.5, -0.5, 0.25, -0.25]),
        "alpha": np.array(0.01),
        "empty": np.zeros((0, 3)),
    }
    np.savez(os.path.join(HERE, "model.npz"), **arrays)
    np.savez_compressed(os.path.join(HERE, "model_compressed.npz"), **arrays)
    np.savez(os.path.join(HERE, "mixed.npz"),
             fortran=np.asfortranarray(np.arange(6.0).reshape(2, 3)),
             labels=np.array([2, 0, 1]),  # int64
             half=np.array([0.5, 1.5], dtype=np.float32))

    # zip files np.savez does not write but np.load meets: a name twice, an entry that is no .npy file
    one = io.BytesIO()
    np.save(one, np.array([1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(os.path.join(HERE, "duplicate.npz"), "w") as z:
            z.writestr("w.npy", one.getvalue())
            z.writestr("w.npy", one.getvalue())
    with zipfile.ZipFile(os.path.join(HERE, "not_npy_entry.npz"), "w") as z:
        z.writestr("w.npy", one.getvalue())
        z.writestr("notes.txt", "not an array")


if __name__ == "__main__":
    main()
