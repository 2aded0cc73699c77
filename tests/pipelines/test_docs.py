"""The README's source and contract sections and the example .dlt files are what the specs and
contracts say: adding a source or changing a mart without `make docs` fails here."""

from __future__ import annotations

from connectors import registry
from pipelines import cli, docs
from transforms.contracts import marts


def test_generated_docs_match_the_specs_and_contracts():
    stale = [str(path.relative_to(docs.ROOT)) for path in docs.drifted()]
    assert not stale, f"out of date: {stale}; run `make docs`"


def test_the_readme_documents_every_mart_column_and_every_source_key():
    text = docs.README.read_text()
    for contract in marts().values():
        assert f"### `marts.{contract.name}`" in text
        for column in contract.columns:
            assert f"| `{column.name}` | {column.type} |" in text
    for spec in registry.specs().values():
        for setting in spec.settings:
            assert f"`{setting.env(spec.name)}`" in text


def test_check_mode_reports_a_drifted_readme(monkeypatch, tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(docs.README.read_text().replace("| `spend` |", "| `cost` |", 1))
    monkeypatch.setattr(docs, "README", readme)
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    assert cli.main(["docs", "--check"]) == 1
    assert "README.md is out of date" in capsys.readouterr().err
