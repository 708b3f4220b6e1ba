import spacy

import sourcetrace
import sourcetrace.spacy_component  # noqa: F401  (registers the factory)


def test_add_pipe_sets_the_same_data_as_the_json(seed_text):
    nlp = spacy.blank("en")
    nlp.add_pipe("sourcetrace")
    doc = nlp(seed_text)
    expected = sourcetrace.to_dict(sourcetrace.analyze(seed_text))
    assert doc._.quotes == expected["quotes"]
    assert doc._.sources == expected["sources"]
    first = doc._.quotes[0]
    span = doc.char_span(first["start"], first["end"], alignment_mode="expand")
    assert span is not None and first["text"] in span.text


def test_add_pipe_works_in_a_fresh_interpreter_without_importing_sourcetrace(tmp_path):
    """The `spacy_factories` entry point (pyproject.toml) lets spaCy find the factory by name."""
    import json
    import subprocess
    import sys

    code = ("import json, sys, spacy\n"
            "assert 'sourcetrace' not in sys.modules\n"
            "nlp = spacy.blank('en')\n"
            "nlp.add_pipe('sourcetrace')\n"
            "doc = nlp('\\u201cWe will win,\\u201d the general said on Monday.')\n"
            "print(json.dumps(doc._.quotes))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)   # not the source tree: only the installed entry point counts
    assert done.returncode == 0, done.stderr
    quotes = json.loads(done.stdout)
    assert [q["text"] for q in quotes] == ["\u201cWe will win,\u201d"]
    assert quotes[0]["speaker"]["text"] == "the general"
