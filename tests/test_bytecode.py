"""What `make` compiles after installing: every module imported anywhere in the sources."""

import sys

from authxai.bytecode import compile_imports, imported_modules


def test_imports_inside_functions_count_and_relative_ones_do_not(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(
        "import json, os.path\nfrom . import sibling\n\ndef f():\n    from email.message import Message\n"
    )
    (tmp_path / "b.py").write_text("try:\n    import not_a_module_here\nexcept ImportError:\n    pass\n")
    assert imported_modules([tmp_path / "pkg", tmp_path / "b.py"]) == [
        "email.message",
        "json",
        "not_a_module_here",
        "os.path",
    ]


def test_compiling_names_what_does_not_import(tmp_path, monkeypatch):
    (tmp_path / "fresh_mod_for_bytecode.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    imported, missing = compile_imports(["fresh_mod_for_bytecode", "not_a_module_here"])
    assert (imported, missing) == (1, ["not_a_module_here"])
    assert list((tmp_path / "__pycache__").glob("fresh_mod_for_bytecode.*.pyc"))  # written despite the flag
