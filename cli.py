"""The `kenniskamer` command line: a thin shell over the core and the ingestion pipeline.

Results go to stdout, progress and errors to stderr; ``--json`` where a script wants it.
Exit codes: 0 ok, 1 a KennisError or a batch in which anything failed, 2 bad usage.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Before numpy is imported (kenniskamer.startup.one_blas_thread says why): one BLAS thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click

from indexer.ocr import DOCUMENT_SECONDS as DOCUMENT_OCR_SECONDS
from kenniskamer.config import Settings, data_files, load_settings
from kenniskamer.errors import KennisError, OptionsError
from kenniskamer.library import Library
from kenniskamer.models import DOC_TYPES, FLAG_NEEDS_OCR, LANGUAGES
from kenniskamer.records import Progress
from kenniskamer.startup import end_of_command

REPO_DATA = Path(str(data_files()))  # the package data: themes, thesaurus and the demo's sample/


class KennisGroup(click.Group):
    """Turns a KennisError into a one-line `Error: ...` and exit status 1 (2 for options that do not go together)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OptionsError as err:
            raise click.UsageError(str(err)) from err
        except KennisError as err:
            raise click.ClickException(str(err)) from err


library_option = click.option(
    "--library",
    "library_path",
    type=click.Path(file_okay=False, path_type=Path),
    help="Library folder (default: $KENNISKAMER_LIBRARY, else ~/.local/share/kenniskamer).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")


def _settings(library_path: Path | None) -> Settings:
    context = click.get_current_context(silent=True)
    meaning = False if context is not None and (context.find_root().obj or {}).get("no_meaning") else None
    return load_settings(library=library_path, meaning=meaning)


def _open(library_path: Path | None, *, create: bool = False) -> Library:
    settings = _settings(library_path)
    return Library.open(settings.library, create=create, meaning=settings.meaning)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _err(message: str) -> None:
    click.echo(message, err=True)


@click.group(cls=KennisGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="kenniskamer", message="%(version)s")
@click.option("--no-meaning", is_flag=True,
              help="Words only: no search by meaning, no encoder, no vectors (also KENNISKAMER_MEANING=0).")
@click.pass_context
def cli(ctx: click.Context, no_meaning: bool) -> None:
    """Kenniskamer: search a knowledge room of research on public support for migration.

    \b
    Example:
      kenniskamer add reports/ --library ~/kenniskamer
      kenniskamer search "draagvlak vluchtelingen" --library ~/kenniskamer
    """
    ctx.obj = {"no_meaning": no_meaning}


# -- add -----------------------------------------------------------------------------------


def _overrides(clear: tuple[str, ...] = (), **values: Any) -> dict[str, Any]:
    """The metadata options that were given, as curator values (themes and study values checked; ``clear``ed as None)."""
    from kenniskamer.library.curate import CuratorValueError, curator_values

    try:
        return curator_values(values, clear=clear)
    except CuratorValueError as err:
        raise click.BadParameter(str(err), param_hint=f"--{err.option}") from None


def _metadata_options(func: Any) -> Any:
    options = [
        click.option("--title", help="Title (the curator's value wins over what is extracted)."),
        click.option("--author", "authors", multiple=True, help="Author; repeat for several."),
        click.option("--year", type=click.IntRange(1000, 2999), help="Publication year."),
        click.option("--date", help="Publication date, YYYY-MM-DD."),
        click.option("--publisher", help="Publisher or journal."),
        click.option("--type", "doc_type", type=click.Choice(list(DOC_TYPES)), help="Document type."),
        click.option("--language", type=click.Choice(list(LANGUAGES)), help="Language of the text."),
        click.option("--summary", help="Summary (a few sentences)."),
        click.option("--theme", "themes", multiple=True, help="Theme id (see `kenniskamer themes`); repeat for several."),
        click.option("--kind", help="Kind of document: research, review, manifesto, policy, article or other."),
        click.option("--method", "methods", multiple=True,
                     help="Method of a study: survey-experiment, field-experiment, lab-experiment, survey, content-analysis, "
                          "qualitative, administrative-data or mixed; repeat for two."),
        click.option("--country", "countries", multiple=True,
                     help="Country studied: ISO code (NL, DE), EU or multi; repeat for several."),
        click.option("--group", "groups", multiple=True, help="Group studied, e.g. refugees; repeat for several."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _reading_options(func: Any) -> Any:
    """How files are read (add, reindex --extract): --jobs, --timeout, --ocr-time, --no-ocr."""
    for option in reversed((
        click.option("--jobs", type=click.IntRange(1, 64), help="Worker processes that read files (default: number of cores)."),
        click.option("--timeout", type=click.FloatRange(0.1, 3600), default=120, show_default=True,
                     help="Seconds to fetch and read each file, OCR aside (a file over it fails alone)."),
        click.option("--ocr-time", type=click.FloatRange(1, 86400), default=DOCUMENT_OCR_SECONDS, show_default=True,
                     help="Seconds of OCR per file; pages left over wait, flagged needs-ocr."),
        click.option("--no-ocr", is_flag=True, help="Do not OCR pages without a text layer (a scan is flagged needs-ocr)."),
    )):
        func = option(func)
    return func


def _reading(jobs: int | None, timeout: float, ocr_time: float, no_ocr: bool) -> dict[str, Any]:
    """The AddOptions of _reading_options."""
    return {"timeout": timeout, "ocr": not no_ocr, "ocr_seconds": ocr_time, **({"jobs": jobs} if jobs else {})}


def _item_printer(progress: Progress, *, quiet: bool = False) -> Callable[[Any], None]:
    """What add and reindex --extract print of each file (an ItemResult): its line on stdout, or why not on stderr."""
    from kenniskamer.records import added_line, dry_run_record

    def show(item: Any) -> None:
        progress.clear()
        if quiet:
            pass
        elif item.doc and item.outcome in ("added", "updated"):
            click.echo(added_line(item.doc, item.message, verb=item.outcome))
        elif item.doc and item.outcome == "would-add":
            click.echo(dry_run_record(item.doc, item.message))
        else:
            _err(f"{item.outcome}: {item.location}: {item.message}")
        progress.step(item.doc.page_count if item.doc else 0)

    return show


@cli.command()
@click.argument("locations", nargs=-1)
@click.option("--from", "from_file", type=click.File("r"), help="Read paths and URLs from a file, one a line (- for stdin).")
@click.option("--glob", "pattern", default="*", show_default=True, help="Which files to take from folders, e.g. '*.pdf,*.html'.")
@_metadata_options
@click.option("--password", help="Password of an encrypted PDF.")
@click.option("--allow-duplicate", is_flag=True, help="Add near-duplicates of documents already in the library.")
@click.option("--allow-private", is_flag=True, help="Allow URLs on private or local network addresses.")
@click.option("--dry-run", is_flag=True, help="Show what would be stored, with themes and their evidence, and which pages OCR would read; store nothing.")
@_reading_options
@json_option
@library_option
def add(
    locations: tuple[str, ...], from_file: Any, pattern: str, password: str | None, allow_duplicate: bool,
    allow_private: bool, dry_run: bool, jobs: int | None, timeout: float, ocr_time: float, no_ocr: bool,
    as_json: bool, library_path: Path | None, **metadata: Any,
) -> None:
    """Add PDF and HTML files, folders (recursively) and http(s) URLs to the library.

    Pages of a PDF without a text layer (scans) are read by OCR, if Tesseract is installed.

    \b
    Example:
      kenniskamer add rapport.pdf https://example.org/artikel.html onderzoek/ --library ~/kk
    """
    from indexer.fetch import expand_locations
    from indexer.pipeline import AddOptions, run

    given = list(locations) + ([line.strip() for line in from_file] if from_file else [])
    if not given:
        raise click.UsageError("Give at least one file, folder or URL (or --from FILE).")
    overrides = _overrides(**metadata)
    targets = list(expand_locations(given, pattern=pattern))
    if not targets:
        raise click.ClickException(f"No files matching {pattern!r} in {', '.join(given)}.")
    settings = _settings(library_path)
    root = settings.library
    # A dry run stores nothing: without a library it only skips the duplicate check.
    library = None if dry_run and not Library.exists(root) else Library.open(root, create=True, meaning=settings.meaning)
    options = AddOptions(
        password=password, allow_duplicate=allow_duplicate, allow_private=allow_private, dry_run=dry_run,
        overrides=overrides, **_reading(jobs, timeout, ocr_time, no_ocr),
    )
    progress = Progress(len(targets), enabled=sys.stderr.isatty() and not as_json)
    report = run(library, targets, options, on_item=_item_printer(progress, quiet=as_json), on_progress=progress.reading)
    progress.clear()
    if as_json:
        _echo_json(report.to_dict())
    _err(report.summary())
    if report.failed:
        sys.exit(1)


# -- search ----------------------------------------------------------------------------------


@cli.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--theme", multiple=True, help="Only documents with this theme (repeat: any of them).")
@click.option("--year", multiple=True, help="Only documents of this year.")
@click.option("--lang", "language", multiple=True, help="Only documents in this language (nl, en, ...).")
@click.option("--type", "doc_type", multiple=True, help="Only documents of this type.")
@click.option("--publisher", multiple=True, help="Only documents of this publisher.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "added"]), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(1, 200), default=10, show_default=True, help="Hits to show.")
@click.option("--page", type=click.IntRange(1, 10_000), default=1, show_default=True, help="Result page.")
@click.option("--no-expand", is_flag=True, help="Do not add thesaurus terms in the other language.")
@json_option
@library_option
def search(
    words: tuple[str, ...], theme: tuple[str, ...], year: tuple[str, ...], language: tuple[str, ...],
    doc_type: tuple[str, ...], publisher: tuple[str, ...], sort: str, limit: int, page: int, no_expand: bool,
    as_json: bool, library_path: Path | None,
) -> None:
    """Search the library: words, "phrases", AND/OR/NOT and fields like titel: jaar: thema: taal:.

    \b
    Example:
      kenniskamer search polarisatie --theme framing --lang en
    """
    from kenniskamer.documents import search_page_dict
    from kenniskamer.records import hit_lines, search_notices
    from kenniskamer.search import SearchEngine, SearchQuery

    library = _open(library_path)
    filters = {k: v for k, v in {"theme": theme, "year": year, "language": language, "type": doc_type,
                                 "publisher": publisher}.items() if v}
    query = SearchQuery(" ".join(words), filters=filters, sort=sort, page=page, page_size=limit, expand=not no_expand)
    result = SearchEngine(library).search(query)
    if as_json:
        _echo_json(search_page_dict(result))
        return
    for notice in search_notices(result):
        _err(notice)
    if not result.hits:
        _err("No documents found.")
        return
    for line in hit_lines(result.hits, first=(page - 1) * limit + 1):
        click.echo(line)
    _err(f"{result.total} document{'' if result.total == 1 else 's'}, {result.elapsed_ms:.0f} ms")


# -- list, show, edit, remove ----------------------------------------------------------------


@cli.command(name="list")
@click.option("--added-since", help="Only documents added on or after this date (YYYY-MM-DD).")
@click.option("--sort", type=click.Choice(["added", "title"]), default="added", show_default=True)
@json_option
@library_option
def list_documents(added_since: str | None, sort: str, as_json: bool, library_path: Path | None) -> None:
    """List the documents, one a line: id, added, year, language, title.

    \b
    Example:
      kenniskamer list --added-since 2026-11-01 --json
    """
    from kenniskamer.documents import listing_dict

    library = _open(library_path)
    docs = library.documents(order=sort, since=_iso_date(added_since) if added_since else None)
    if as_json:
        _echo_json([listing_dict(d) for d in docs])
        return
    for d in docs:
        click.echo(f"{d.doc_id}  {d.added[:10]}  {d.year or '----'}  {d.language or '??'}  {d.title[:100]}")
    _err(f"{len(docs)} documents")


def _iso_date(value: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD.") from None


@cli.command()
@click.argument("doc_id")
@click.option("--pages", "with_pages", is_flag=True, help="Also print the text of every page.")
@json_option
@library_option
def show(doc_id: str, with_pages: bool, as_json: bool, library_path: Path | None) -> None:
    """Show a document's metadata, where each value came from, and its themes with evidence.

    \b
    Example:
      kenniskamer show 3fa2c1d09e7b
    """
    from kenniskamer.documents import document_dict
    from kenniskamer.records import show_lines

    library = _open(library_path)
    doc = library.get(doc_id, with_pages=with_pages)
    if as_json:
        _echo_json(document_dict(doc, pages=with_pages, original=library.original_of(doc)))
        return
    for line in show_lines(doc, library.original_of(doc)):
        click.echo(line)
    if with_pages:
        for number, text in enumerate(doc.pages, start=1):
            click.echo(f"\n--- page {number} ---\n{text}")


@cli.command()
@click.argument("doc_id")
@_metadata_options
@click.option("--add-theme", multiple=True, help="Add a theme to the current ones.")
@click.option("--remove-theme", multiple=True, help="Remove a theme from the current ones.")
@click.option("--clear", "clear", multiple=True, help="Drop the curator's value of a field (extracted value returns).")
@library_option
def edit(doc_id: str, add_theme: tuple[str, ...], remove_theme: tuple[str, ...], clear: tuple[str, ...],
         library_path: Path | None, **metadata: Any) -> None:
    """Change a document's metadata, themes or study profile; the curator's value survives re-extraction and reindex.

    \b
    Example:
      kenniskamer edit 3fa2c1d09e7b --title "Draagvlak voor opvang" --add-theme draagvlak
      kenniskamer edit 3fa2c1d09e7b --kind research --method survey-experiment --country NL --group refugees
    """
    from kenniskamer.library.curate import edit_document, edited_themes
    from kenniskamer.themes import theme_ids

    library = _open(library_path)
    values = _overrides(**metadata, clear=clear)
    if add_theme or remove_theme:
        values["themes"] = edited_themes(library, doc_id, base=values.get("themes"), add=theme_ids(add_theme),
                                         remove=theme_ids(remove_theme))
    if not values:
        raise click.UsageError("Nothing to change: give an option such as --title or --add-theme.")
    doc = edit_document(library, doc_id, values)
    click.echo(f"edited {doc.doc_id}: " + ", ".join(sorted(values)))


@cli.command()
@click.argument("doc_ids", nargs=-1, required=True)
@library_option
def remove(doc_ids: tuple[str, ...], library_path: Path | None) -> None:
    """Remove documents from the catalog, the index and the originals (with their vectors and OCR text).

    \b
    Example:
      kenniskamer remove 3fa2c1d09e7b
    """
    from kenniskamer.library.curate import remove_document

    library = _open(library_path)
    for doc_id in doc_ids:
        doc = remove_document(library, doc_id)
        click.echo(f"removed {doc.doc_id}  {doc.title[:90]}")


# -- newsletter: digest and cite -------------------------------------------------------------


@cli.command()
@click.option("--since", help="Additions on or after this date (YYYY-MM-DD, UTC).")
@click.option("--days", type=click.IntRange(0, 3660), help="Additions of the last N days.")
@click.option("--since-last", is_flag=True, help="Additions since the last `digest --mark`.")
@click.option("--until", help="Only additions before this date (YYYY-MM-DD, UTC; the day itself is left out).")
@click.option("--mark", is_flag=True,
              help="Remember this digest: the next --since-last lists only what is added after it (whatever --theme showed).")
@click.option("--theme", "themes", multiple=True, help="Only documents with this theme (repeat for several).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "json"]), default="markdown", show_default=True)
@click.option("--lang", "language", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="Language of headings and labels (summaries stay in the document's language).")
@click.option("--base-url", help="Public address of the site, for links (default: $KENNISKAMER_BASE_URL).")
@library_option
def digest(since: str | None, days: int | None, since_last: bool, until: str | None, mark: bool,
           themes: tuple[str, ...], fmt: str, language: str, base_url: str | None, library_path: Path | None) -> None:
    """What was added in a window, grouped by theme, ready to paste into a newsletter.

    Without --since, --days or --since-last: since the last --mark, or else the last 30 days.

    \b
    Example:
      kenniskamer digest --since-last --format html --base-url https://kenniskamer.example.org > nieuw.html
      kenniskamer digest --since-last --mark
    """
    from kenniskamer import digest as core
    from kenniskamer.themes import load_themes, theme_ids

    settings = load_settings(library=library_path, base_url=base_url)
    public = settings.base_url.strip()
    if public and not public.startswith(("http://", "https://")):
        raise click.BadParameter(f"{public!r} is not a web address; write it as https://...", param_hint="--base-url")
    library = Library.open(settings.library)
    wanted = theme_ids(themes)
    if not since and days is None and not since_last:
        since_last = core.read_watermark(library) is not None
        days = None if since_last else 30
        _err("No window given: since the last --mark." if since_last else
             "No window given and no digest marked yet: the last 30 days.")
    window = core.resolve_window(library, since=since, until=until, days=days, since_last=since_last)

    def make() -> Any:
        docs = core.select(library, window, themes=wanted)
        return core.build(docs, load_themes(), window=window, only=wanted, base_url=public)

    if mark:
        with library.writing():  # a batch being added holds this lock: nothing can slip in between
            result = make()
            _show_digest(result, fmt, language, public)
            watermark = core.mark(library, window)
        if watermark:
            when = watermark.added.replace("T", " ").rstrip("Z")
            _err(f"Marked: the next `kenniskamer digest --since-last` lists what is added after {when} UTC.")
    else:
        _show_digest(make(), fmt, language, public)


def _show_digest(result: Any, fmt: str, language: str, base_url: str) -> None:
    from kenniskamer import digest as core

    if result.count or fmt == "json":  # a script reading JSON gets a digest even when it is empty
        click.echo(core.render(result, fmt, language=language), nl=False)
    if result.count and not base_url:
        _err("No --base-url (or KENNISKAMER_BASE_URL): the links are relative, /doc/<id>.")
    _err(core.intro(result, "en"))


@cli.command()
@click.argument("doc_ids", nargs=-1, required=True)
@click.option("--format", "style", type=click.Choice(["apa", "bibtex", "ris"]), default="apa", show_default=True)
@library_option
def cite(doc_ids: tuple[str, ...], style: str, library_path: Path | None) -> None:
    """Print the citation of documents in APA, BibTeX or RIS.

    \b
    Example:
      kenniskamer cite 3fa2c1d09e7b --format bibtex >> references.bib
    """
    from kenniskamer.cite import format_citation

    library = _open(library_path)
    entries = [format_citation(library.get(doc_id), style) for doc_id in doc_ids]
    click.echo("\n\n".join(entries))


# -- maintenance -----------------------------------------------------------------------------


@cli.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--extract", is_flag=True, help="Read the originals again (new extractors, OCR) before rebuilding; curator values stay.")
@click.option("--only", "flag", type=click.Choice([FLAG_NEEDS_OCR]), help="With --extract: only the documents with this flag.")
@_reading_options
@click.option("--password", help="Password of encrypted PDFs, for --extract.")
@library_option
def reindex(doc_ids: tuple[str, ...], extract: bool, flag: str | None, jobs: int | None, timeout: float,
            ocr_time: float, no_ocr: bool, password: str | None, library_path: Path | None) -> None:
    """Rebuild the index from the catalog (no PDF is read again); --extract re-reads the originals first.

    \b
    Example:
      kenniskamer reindex --library ~/kk
      kenniskamer reindex --extract 3fa2c1d09e7b --library ~/kk
      kenniskamer reindex --extract --only needs-ocr --library ~/kk
    """
    from kenniskamer.library.check import reindex_library

    library = _open(library_path)
    started = time.monotonic()
    if flag and not extract:
        raise click.UsageError("--only goes with --extract: it chooses the documents to read again.")
    if extract:
        from indexer.pipeline import AddOptions
        from indexer.reextract import reextract

        if flag:
            doc_ids = (*doc_ids, *(doc.doc_id for doc in library.documents() if flag in doc.flags))
            if not doc_ids:
                click.echo(f"No document has the flag {flag}.")
                return
        progress = Progress(len(doc_ids) or library.count(), enabled=sys.stderr.isatty())
        options = AddOptions(password=password, **_reading(jobs, timeout, ocr_time, no_ocr))
        report = reextract(library, options, doc_ids=doc_ids, on_item=_item_printer(progress), on_progress=progress.reading)
        progress.clear()
        _err(f"re-extracted {report.count('updated')}, failed {report.count('failed')}, "
             f"reindexed {library.count()} documents in {time.monotonic() - started:.1f} s")
        if report.failed:
            sys.exit(1)
        return
    if doc_ids:
        raise click.UsageError("Document ids go with --extract; without it the whole index is rebuilt.")
    count, profiles, encoded = reindex_library(library, stage=_stage)
    read = f", read the study profiles of {profiles}" if profiles else ""
    vectors = f", encoded the vectors of {encoded}" if encoded else ""
    click.echo(f"reindexed {count} documents{read}{vectors} in {time.monotonic() - started:.1f} s")


@contextmanager
def _stage(message: str, count: int) -> Iterator[Callable[[str], None]]:
    """Say what is about to be done to ``count`` documents, and show a progress step per document."""
    if count:
        _err(message)
    progress = Progress(count, enabled=sys.stderr.isatty())
    try:
        yield lambda _doc_id: progress.step(0)
    finally:
        progress.clear()


@cli.command()
@click.option("--repair", is_flag=True, help="Make the index follow the catalog and remove stray originals.")
@click.option("--quick", is_flag=True, help="Do not re-hash the originals.")
@json_option
@library_option
def check(repair: bool, quick: bool, as_json: bool, library_path: Path | None) -> None:
    """Verify that catalog, originals and index agree (exit 1 if not); --repair fixes the index.

    \b
    Example:
      kenniskamer check --repair
    """
    from kenniskamer.library.check import check_library

    library = _open(library_path)
    report = check_library(library, verify_checksums=not quick, repair=repair)
    if as_json:
        _echo_json(report.to_dict())
    else:
        for line in report.lines():
            click.echo(line)
        if not report.ok:
            _err("Run `kenniskamer check --repair` to rebuild what the catalog can restore.")
    if not report.ok:
        sys.exit(1)


@cli.command()
@json_option
@library_option
def themes(as_json: bool, library_path: Path | None) -> None:
    """List the themes with their labels and how many documents have each.

    \b
    Example:
      kenniskamer themes
    """
    from kenniskamer.library.stats import theme_counts
    from kenniskamer.themes import load_themes

    root = _settings(library_path).library
    counts = theme_counts(Library.open(root) if Library.exists(root) else None)
    rows = [(t, counts.get(t.id, 0)) for t in load_themes()]
    if as_json:
        _echo_json([{"id": t.id, "label_nl": t.label_nl, "label_en": t.label_en, "description_nl": t.description_nl,
                     "description_en": t.description_en, "documents": n} for t, n in rows])
        return
    for theme, count in rows:
        click.echo(f"{theme.id:24} {count:4}  {theme.label_nl} / {theme.label_en}")


@cli.command()
@json_option
@library_option
def stats(as_json: bool, library_path: Path | None) -> None:
    """Counts of documents, pages, languages, types and the size on disk.

    \b
    Example:
      kenniskamer stats
    """
    from dataclasses import asdict

    from kenniskamer.library.stats import library_stats

    data = asdict(library_stats(_open(library_path)))
    if as_json:
        _echo_json(data)
        return
    for key, value in data.items():
        click.echo(f"{key:14} {value}")


# -- backup ------------------------------------------------------------------------------------


@cli.command(name="export")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@library_option
def export_command(target: Path, library_path: Path | None) -> None:
    """Write the catalog, the originals and a manifest with checksums to a zip archive.

    \b
    Example:
      kenniskamer export kenniskamer-2026-11-28.zip
    """
    from kenniskamer.library.backup import export_library

    summary = export_library(_open(library_path), target)
    click.echo(f"exported {summary.documents} documents ({summary.originals} originals, {summary.bytes // 1024} KB) to {target}")


@cli.command(name="import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@library_option
def import_command(source: Path, library_path: Path | None) -> None:
    """Restore an export into an empty library: checksums verified, index rebuilt.

    \b
    Example:
      kenniskamer import kenniskamer-2026-11-28.zip --library ~/kenniskamer-restored
    """
    from kenniskamer.library.backup import import_library

    settings = _settings(library_path)
    target = settings.library
    summary = import_library(source, target, meaning=settings.meaning)
    click.echo(f"imported {summary.documents} documents ({summary.originals} originals) into {target}")


# -- serving -----------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@library_option
def serve(host: str, port: int, threads: int, library_path: Path | None) -> None:
    """Serve the search site with waitress.

    \b
    Example:
      kenniskamer serve --port 8080
    """
    from webui import serve as serve_site

    serve_site(_settings(library_path), host, port, threads, say=_err)


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Build the demo library only.")
@library_option
def demo(port: int, no_serve: bool, library_path: Path | None) -> None:
    """Build the demo library from data/sample (if it is not built yet) and serve it.

    \b
    Example:
      kenniskamer demo --port 5000
    """
    from indexer.pipeline import AddOptions, run

    root = library_path or Path("demo-library")
    library = Library.open(root, create=True, meaning=_settings(root).meaning)
    if library.count() == 0:
        report = run(library, [str(REPO_DATA / "sample")], AddOptions(pattern="*.pdf,*.html"))
        for item in report.items:
            if not item.ok:
                _err(f"failed: {item.location}: {item.message}")
        _err(f"demo library {root}: {report.summary()}")
        if report.failed or not library.count():
            raise click.ClickException(
                f"The demo library {root} is incomplete: a sample could not be added (see above). "
                f"Remove {root} and run `kenniskamer demo` again once the cause is fixed."
            )
    if not no_serve:
        from webui import serve as serve_site

        serve_site(_settings(root), "127.0.0.1", port, 8, say=_err)


def main() -> None:
    """Entry point of the console script."""
    try:
        cli(prog_name="kenniskamer")
    finally:
        end_of_command()  # the process ends with the command (kenniskamer/startup.py)


if __name__ == "__main__":
    main()
