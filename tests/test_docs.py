"The documentation site: it builds without Quarto, every page opens in headless Chromium with its images and local links, and nbdev's Quarto setup agrees with settings.ini."
import base64, configparser, importlib.util, time
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('binas_docs', ROOT / 'tools' / 'docs.py')
docs = importlib.util.module_from_spec(spec); spec.loader.exec_module(docs)
PNG = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=')


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    "nbdev reads settings.ini from the working directory; Selenium Manager (which downloads drivers) must never run."
    monkeypatch.chdir(ROOT)
    try: from selenium.webdriver.common.selenium_manager import SeleniumManager
    except ImportError: return  # docs.chromium() fails with the command that installs it
    def refuse(*args, **kw): raise AssertionError('Selenium Manager was asked for a driver: it must use /usr/bin/chromedriver')
    monkeypatch.setattr(SeleniumManager, 'binary_paths', refuse)


def test_site_builds_and_every_page_opens(tmp_path):
    t0 = time.time()
    site = docs.site(tmp_path / 'site')
    t1 = time.time()
    problems = docs.check(site)
    print(f'docs: built in {t1 - t0:.1f} s, checked in {time.time() - t1:.1f} s')
    assert not problems, 'broken documentation site:\n' + '\n'.join(problems)
    listed = [docs._nbpath2html(p.relative_to(docs.NBS)).as_posix() for _, p in docs.pages()]
    assert sorted(listed) == sorted(p.relative_to(site).as_posix() for p in site.glob('*.html'))


def _nb(path: Path, title: str, *markdown: str):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell(f'---\ntitle: {title}\n---'),
                                         *map(nbformat.v4.new_markdown_cell, markdown)])
    nbformat.write(nb, path)


def test_check_reports_missing_image_and_dead_link(tmp_path):
    nbs = tmp_path / 'nbs'; (nbs / 'images').mkdir(parents=True)
    (nbs / 'images' / 'here.png').write_bytes(PNG)
    (nbs / 'sidebar.yml').write_text(yaml.safe_dump({'website': {'sidebar': {'contents': ['index.ipynb', '01_other.ipynb']}}}))
    _nb(nbs / 'index.ipynb', 'Home', '![](images/here.png) ![](images/gone.png)',
        '[other page](01_other.ipynb) [published doc link](https://binas-dev.github.io/binas/other.html#top) [nowhere](nowhere.html)')
    _nb(nbs / '01_other.ipynb', 'Other', '## Top\n\n[home](index.ipynb)')
    problems = docs.check(docs.site(tmp_path / 'site', nbs))
    print('\n'.join(problems))
    assert len(problems) == 2, problems  # the good image and the three good links are not reported
    assert any('index.html: image did not load: images/gone.png' in p for p in problems), problems
    assert any('index.html: dead link nowhere.html (HTTP 404)' in p for p in problems), problems


def test_mermaid_block_is_left_out_and_the_rest_kept(tmp_path):
    "Quarto draws a ```{mermaid} block; this site has no mermaid.js offline, so the block goes and the text around it stays."
    _nb(tmp_path / 'd.ipynb', 'D', 'before\n\n```{mermaid}\nflowchart LR\n  a --> b\n```\n\n```text\na --> b\n```\nafter')
    src = docs.processed(tmp_path / 'd.ipynb').cells[1].source
    assert 'flowchart' not in src and '{mermaid}' not in src, src
    assert src.startswith('before') and '```text\na --> b\n```' in src and src.endswith('after'), src


def test_sidebar_naming_a_missing_notebook_stops_the_build(tmp_path):
    nbs = tmp_path / 'nbs'; nbs.mkdir()
    (nbs / 'sidebar.yml').write_text(yaml.safe_dump({'website': {'sidebar': {'contents': ['index.ipynb']}}}))
    with pytest.raises(SystemExit, match=r'sidebar.yml lists index.ipynb \(no such file\)'): docs.site(tmp_path / 'site', nbs)


def test_missing_browser_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(docs, 'CHROMIUM', '/nonexistent/chromium')
    with pytest.raises(RuntimeError, match='bash tools/setup.sh --test'): docs.chromium()


def test_quarto_setup_matches_settings():
    "What `nbdev_docs` needs where Quarto is installed: the config it regenerates is current, and the hand-kept sidebar lists every notebook."
    from nbdev.config import get_config
    from nbdev.quarto import _nbdev_yml
    cfg = get_config()
    ini = configparser.ConfigParser(); ini.read(ROOT / 'settings.ini')
    assert ini['DEFAULT'].getboolean('custom_sidebar'), 'custom_sidebar must stay True: nbs/sidebar.yml is edited by hand'
    vals = {k: cfg[k] for k in ['title', 'description', 'branch', 'git_url', 'doc_host', 'doc_baseurl']}
    assert (docs.NBS / 'nbdev.yml').read_text() == _nbdev_yml.format(doc_path=cfg.doc_path.name, **vals), \
        'nbs/nbdev.yml differs from what nbdev_docs writes from settings.ini'
    quarto = yaml.safe_load((docs.NBS / '_quarto.yml').read_text())
    assert quarto['project']['type'] == 'website' and {'nbdev.yml', 'sidebar.yml'} <= set(quarto['metadata-files'])
    listed = {p.name for _, p in docs.pages()}
    unlisted = sorted(p.name for p in docs.NBS.glob('*.ipynb') if p.name not in listed)
    assert not unlisted, f'add {", ".join(unlisted)} to nbs/sidebar.yml (custom_sidebar = True): they have no page'
