#!/bin/sh
# Rebuilds rpmdb.sqlite from the spec files beside this script with the
# real rpm tools (Debian package "rpm"): each package is built empty and
# recorded in a fresh sqlite rpm database, as on RHEL 9 and Rocky Linux 9.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for spec in "$here"/*.spec; do
	rpmbuild --quiet --define "_topdir $work/build" --define "_db_backend sqlite" -bb "$spec"
done
rpm --define "_db_backend sqlite" --dbpath "$work/db" --initdb
rpm --define "_db_backend sqlite" --dbpath "$work/db" -i --justdb --nodeps --ignorearch --ignoreos "$work"/build/RPMS/*/*.rpm
gzip -9 -n -c "$work/db/rpmdb.sqlite" > "$here/rpmdb.sqlite.gz"
rpm --dbpath "$work/db" -qa --qf '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE} %{SOURCERPM}\n' | sort
