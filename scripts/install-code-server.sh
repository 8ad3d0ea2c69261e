#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3 on the machine's Node 20) into .vscode-test/ without
# downloading anything but npm packages: the offline recipe of ../shared/notes/vscode-testing.md.
# Idempotent: an existing install is reused. Needs: Debian packages ripgrep and libkrb5-dev (and
# build tools), which .ci/run installs.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.100.3
DEST=".vscode-test/code-server-$VERSION"
if [ -f "$DEST/.installed" ]; then echo "code-server $VERSION: $DEST (cached)"; exit 0; fi
command -v rg >/dev/null || { echo "install-code-server: ripgrep is missing (apt-get install ripgrep)" >&2; exit 1; }
rm -rf "$DEST" && mkdir -p "$DEST"
export npm_config_yes=true npm_config_nodedir=/usr npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
tmp=$(mktemp -d)
(cd "$tmp" && npm pack "code-server@$VERSION" --silent >/dev/null)
tar -xzf "$tmp"/code-server-*.tgz -C "$DEST" --strip-components=1
rm -rf "$tmp"
cd "$DEST"
npm install --omit=dev --ignore-scripts --no-package-lock --silent
npm rebuild argon2 --silent
cd lib/vscode
npm install --omit=dev --ignore-scripts --no-package-lock --silent
# @vscode/ripgrep's postinstall would download rg; give it Debian's.
mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild --silent
ln -sfn node_modules node_modules.asar
ln -sf code-linux.sh bin/remote-cli/code-server 2>/dev/null || true
ln -sf browser-linux.sh bin/helpers/browser.sh 2>/dev/null || true
(cd extensions && npm install --omit=dev --no-package-lock --silent)
cd ../..
touch .installed
echo "code-server $VERSION installed in $DEST"
