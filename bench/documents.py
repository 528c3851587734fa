"""Cost of validating a Battery Pass document against the published 1.2.0 schemas
(``registry.documents.validate``: on the ingest path of every registration and update).

    .venv/bin/python bench/documents.py            # 2,000 validations of each document

Prints milliseconds per document for the seven published examples as one passport, for the
general product information alone, and for the document bench/registry.py registers; and the
one-off cost of building the validators.
"""

from __future__ import annotations

import argparse
import time

from urbanmine.passport.batterypass import ASPECTS, example_document
from urbanmine.registry import documents


def per_document_ms(doc: dict[str, object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        documents.validate(doc)
    return (time.perf_counter() - start) / repeat * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    start = time.perf_counter()
    for aspect in ASPECTS:
        documents.validator(aspect)
    print(f"validators built: {(time.perf_counter() - start) * 1e3:.0f} ms (once per process)")
    cases = {
        "seven published examples": example_document("urn:acme:b1"),
        "general product information": example_document("urn:acme:b1", aspects=ASPECTS[:1]),
        "bench/registry.py document": example_document("urn:acme:b1", aspects=ASPECTS[:2]),
    }
    for name, doc in cases.items():
        print(f"{name}: {per_document_ms(doc, args.repeat):.3f} ms per document")


if __name__ == "__main__":
    main()
