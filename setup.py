"Packaging for binas. Every setting lives in settings.ini; edit it there."
from configparser import ConfigParser
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

for key in 'lib_name version description author author_email license min_python git_url status audience language'.split():
    assert key in cfg, f'settings.ini is missing {key!r}'

licenses = {'mit': ('MIT License', 'OSI Approved :: MIT License'),
            'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License')}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
lic_name, lic_classifier = licenses.get(cfg['license'].lower(), (cfg['license'], None))
py_versions = [f'3.{m}' for m in range(int(cfg['min_python'].split('.')[1]), 14)]

setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    keywords=cfg['keywords'],
    author=cfg['author'],
    author_email=cfg['author_email'],
    license=lic_name,
    classifiers=[f"Development Status :: {statuses[int(cfg['status']) - 1]}",
                 f"Intended Audience :: {cfg['audience'].title()}",
                 f"Natural Language :: {cfg['language'].title()}"]
                + [f'Programming Language :: Python :: {v}' for v in py_versions]
                + ([f'License :: {lic_classifier}'] if lic_classifier else []),
    url=cfg['git_url'],
    packages=setuptools.find_packages(include=[cfg['lib_path'], cfg['lib_path'] + '.*']),
    include_package_data=True,
    package_data={cfg['lib_path']: ['data/*.json', 'data/*.csv']},
    install_requires=cfg.get('requirements', '').split(),
    extras_require={'dev': cfg.get('dev_requirements', '').split()},
    python_requires='>=' + cfg['min_python'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'console_scripts': cfg.get('console_scripts', '').split(),
                  'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
)
