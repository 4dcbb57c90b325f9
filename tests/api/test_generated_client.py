"""A client generated from the served schema (openapi-python-client, into a temporary folder)
reads a commune's results from a live server, as a province's IT staff would."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import make_token, score_areas

GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture
def scored_commune(province, commune, areas, officer):
    return score_areas(province, areas[:2], officer)


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_reads_a_communes_results(
    live_server, tmp_path, scored_commune, commune, areas, province_viewer
):
    (tmp_path / "config.yml").write_text("post_hooks: []\n")
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--url",
            f"{live_server.url}/api/v1/openapi.json",
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "antt_client"),
            "--config",
            str(tmp_path / "config.yml"),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module("antt_client.client")
        result_list = importlib.import_module("antt_client.api.results.result_list")
        client = client_module.AuthenticatedClient(
            base_url=live_server.url, token=make_token(province_viewer)
        )
        page = result_list.sync(client=client, scope=commune.pk, year=scored_commune.year)
        by_code = {row.unit_code: row for row in page.items}
        assert set(by_code) == {commune.code, areas[0].code, areas[1].code}  # the commune: XA-4
        assert by_code[commune.code].unit_kind == "commune"
        passed, failed = by_code[areas[0].code], by_code[areas[1].code]
        assert passed.outcome == "pass" and not passed.unmet_codes
        assert failed.outcome == "fail" and failed.unmet_codes
        assert failed.reasons.items and failed.reasons.items[0].code in failed.unmet_codes
        anonymous = client_module.Client(base_url=live_server.url)
        assert result_list.sync_detailed(client=anonymous).status_code == 401
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "antt_client" or m.startswith("antt_client.")]:
            del sys.modules[name]
