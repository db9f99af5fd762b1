"""What reading a template costs: the SAM translator's import, its translation, and a whole load.

::

    .venv/bin/python bench/template_load.py [--runs 10] [--template tests/data/apis/sam.yaml]

Each measurement runs in a fresh process (imports are cached within one): importing
``samtranslator`` (paid only for SAM input, never by ``serve`` without a template), translating the
template once the translator is loaded, and ``load_settings`` end to end for the SAM template and for
the same API as CloudFormation. Prints the median and max of each, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APIS = ROOT / "tests" / "data" / "apis"

PROBE = """
import json, sys, time
from pathlib import Path
template = Path(sys.argv[1])
out = {}
t = time.perf_counter()
from samtranslator.translator.translator import Translator
from samtranslator.parser.parser import Parser
out["import samtranslator"] = time.perf_counter() - t
from gatewaysim.imports.cfn_yaml import load_cfn_yaml
from gatewaysim.imports.model import ImportOptions
from gatewaysim.imports.sam_translate import translate_sam
data = load_cfn_yaml(template.read_text())
t = time.perf_counter()
translate_sam(data, ImportOptions(account="123456789012", region="us-east-1"), template.parent, str(template))
out["translate (loaded)"] = time.perf_counter() - t
print(json.dumps(out))
"""

LOAD = """
import json, sys, time
t = time.perf_counter()
from gatewaysim.config.load import load_settings
load_settings(None, {"template": sys.argv[1]})
print(json.dumps({sys.argv[2]: time.perf_counter() - t}))
"""


def _run(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT)
    return {k: float(v) for k, v in json.loads(done.stdout.splitlines()[-1]).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--template", type=Path, default=APIS / "sam.yaml")
    args = parser.parse_args()
    samples: dict[str, list[float]] = {}
    for _ in range(args.runs):
        for key, value in _run(PROBE, str(args.template)).items():
            samples.setdefault(key, []).append(value)
        for name, file in (
            ("load_settings (SAM, no config)", APIS / "door-sam.yaml"),
            ("load_settings (CloudFormation)", ROOT / "tests" / "data" / "cfn-two-apis.json"),
        ):
            for key, value in _run(LOAD, str(file), name).items():
                samples.setdefault(key, []).append(value)
    for key, values in samples.items():
        print(f"{key:34} median {statistics.median(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
