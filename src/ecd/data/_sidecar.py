"""Provenance sidecars: ``<name>.meta.yaml`` beside every raw file."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from ecd.catalog._load import load_yaml
from ecd.errors import DuplicateKeyError

REQUIRED_FIELDS = (
    "source_id", "title", "producer", "citation", "url", "date_accessed", "licence",
    "trust", "definition_notes", "gaps", "sha256", "format", "encoding",
)
TRUST_LEVELS = ("high", "medium-high", "medium", "medium-low", "low")
YEAR_KINDS = ("observation", "target")
SIDECAR_SUFFIX = ".meta.yaml"
# a recorded hash is 64 hex digits, and not the all-zero placeholder
_SHA256 = re.compile(r"(?!0{64}$)[0-9a-fA-F]{64}")


def sidecar_path(data_file: Path) -> Path:
    return data_file.with_name(data_file.stem + SIDECAR_SUFFIX)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _trust_ok(text) -> bool:
    # "high", or "high (2022–24 rows); medium (other years)": every level named must be known
    if not isinstance(text, str) or not text.strip():
        return False
    heads = [part.strip().split(" ")[0] for part in text.split(";")]
    return all(h in TRUST_LEVELS for h in heads)


def read_sidecar(data_file: Path, label: str, sha: str) -> tuple[dict, list[str]]:
    """Read and check the sidecar of ``data_file``; return (meta, failures).

    ``meta`` falls back to ``format: tidy_csv, encoding: utf-8`` so that the file's
    content is still validated (and its problems reported) when the sidecar is bad.
    """
    meta_path = sidecar_path(data_file)
    meta_label = label[: -len(data_file.suffix)] + SIDECAR_SUFFIX if data_file.suffix else label + SIDECAR_SUFFIX
    # `_default`: no usable sidecar (already a failure), so its rows are not also reported as lacking publications
    default = {"source_id": data_file.parent.name, "format": "tidy_csv", "encoding": "utf-8", "year_kind": "observation",
               "_default": True}
    if not meta_path.exists():
        return default, [f"{label}: no provenance sidecar {meta_label} (expected one beside every raw file with "
                         f"{', '.join(REQUIRED_FIELDS)}; copy one from another source folder and fill it in)"]
    try:
        meta = load_yaml(meta_path.read_text(encoding="utf-8"), meta_label)
    except DuplicateKeyError as e:
        return default, [str(e)]
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        return default, [f"{meta_label}: not readable YAML ({type(e).__name__}: {e}); expected a UTF-8 YAML mapping"]
    if not isinstance(meta, dict):
        return default, [f"{meta_label}: expected a YAML mapping of fields, found {type(meta).__name__}"]
    failures = []
    missing = [f for f in REQUIRED_FIELDS if (meta.get(f) is None or meta.get(f) == "") and f not in ("gaps",)]
    missing += [f for f in ("gaps",) if f not in meta]
    if missing:
        failures.append(f"{meta_label}: missing field(s) {', '.join(missing)} (expected all of {', '.join(REQUIRED_FIELDS)})")
    if meta.get("source_id") not in (None, "", data_file.parent.name):
        failures.append(f"{meta_label}, field source_id: {meta['source_id']!r} does not match its folder "
                        f"(expected {data_file.parent.name!r}: one folder per source)")
    if meta.get("trust") and not _trust_ok(meta["trust"]):
        failures.append(f"{meta_label}, field trust: {meta['trust']!r} is not a trust level "
                        f"(expected one of {', '.join(TRUST_LEVELS)})")
    if meta.get("year_kind", "observation") not in YEAR_KINDS:
        failures.append(f"{meta_label}, field year_kind: {meta['year_kind']!r} (expected one of {', '.join(YEAR_KINDS)})")
    recorded = meta.get("sha256")
    if "sha256" not in missing and not _SHA256.fullmatch(str(recorded)):
        # 0, false, ~ or a placeholder must never switch the comparison off
        failures.append(f"{meta_label}, field sha256: {recorded!r} is not a sha256 (expected the 64 hexadecimal "
                        f"characters `sha256sum {data_file.name}` printed for the file as it was retrieved; "
                        f"the check cannot be switched off)")
    elif "sha256" not in missing and str(recorded).lower() != sha:
        failures.append(f"{label}: sha256 {sha} does not match the sidecar's {recorded} — the raw file was changed "
                        f"after its provenance was recorded (expected raw files to be immutable: restore the original, "
                        f"or add the new version with a new sidecar and sha256)")
    merged = {**{k: v for k, v in default.items() if k != "_default"}, **{k: v for k, v in meta.items() if v not in (None, "")}}
    return merged, failures
