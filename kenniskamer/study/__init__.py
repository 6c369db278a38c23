"""The study profile: what kind of document it is, its methods, the countries and the groups it studies.

``vocabulary`` loads data/study.toml; ``profile`` reads a profile, with evidence, from a
document's text (at ingest, and by `kenniskamer reindex` from the stored text).
"""

from kenniskamer.study.profile import read_profile
from kenniskamer.study.vocabulary import Vocabulary, default_vocabulary, load_vocabulary

__all__ = ["Vocabulary", "default_vocabulary", "load_vocabulary", "read_profile"]
