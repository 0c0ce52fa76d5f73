"""The holder of the trust store: tolerant loading, cheap change checks, atomic swaps."""

from __future__ import annotations

import os
import shutil

from registry.trust.store import TrustStoreHolder


def test_unreadable_file_is_reported_and_the_rest_loads(demo_pki, tmp_path):
    store = tmp_path / "trust"
    shutil.copytree(demo_pki.trust_dir, store)
    (store / "broken.crt").write_bytes(
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    )
    (store / "broken.crl").write_bytes(b"garbage")
    holder = TrustStoreHolder(store, reload_seconds=0)
    loaded = holder.get()
    assert len(loaded.roots) == 3 and len(loaded.intermediates) == 3 and len(loaded.crls) == 6
    assert sorted(os.path.basename(p.path) for p in holder.problems) == ["broken.crl", "broken.crt"]
    assert "2 file(s)" in holder.error


def test_reload_only_on_change_and_across_a_symlink_swap(demo_pki, tmp_path):
    first, second = tmp_path / "v1", tmp_path / "v2"
    shutil.copytree(demo_pki.trust_dir, first)
    shutil.copytree(demo_pki.trust_dir, second)
    (second / "root-rsa.crt").unlink()
    link = tmp_path / "trust"
    link.symlink_to(first)
    holder = TrustStoreHolder(link, reload_seconds=0)
    store = holder.get()
    generation = holder.generation
    assert holder.get() is store and holder.generation == generation  # nothing changed
    # An unrelated file does not count; a CRL replaced by rename does.
    (first / "notes.txt").write_text("operator notes")
    assert holder.get() is store
    crl = first / "ca-ecdsa.crl"
    tmp = first / ".ca-ecdsa.crl.tmp"
    tmp.write_bytes(crl.read_bytes())
    os.utime(tmp, ns=(1, 1))
    os.replace(tmp, crl)
    assert holder.get() is not store and holder.generation == generation + 1
    # The store swapped by a new symlink: the new content, though the path is the same.
    new_link = tmp_path / ".trust.new"
    new_link.symlink_to(second)
    os.replace(new_link, link)
    assert len(holder.get().roots) == 2
    # While the store is briefly missing, the last good one is kept.
    link.unlink()
    assert len(holder.get().roots) == 2 and holder.error is None


def test_interval_limits_the_checks(demo_pki, tmp_path):
    store = tmp_path / "trust"
    shutil.copytree(demo_pki.trust_dir, store)
    holder = TrustStoreHolder(store, reload_seconds=3600)
    loaded = holder.get()
    (store / "root-rsa.crt").unlink()
    assert holder.get() is loaded  # not looked at before the interval…
    assert len(holder.reload().roots) == 2  # …unless asked
