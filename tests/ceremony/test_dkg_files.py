"""The ceremony as file-exchanging steps, one folder per trustee; trustee key files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evote.ceremony import files, wire
from evote.ceremony.dkg import check_ceremony_result
from evote.ceremony.keyfile import KdfStrength, write_key_file
from evote.crypto.groups import ED25519, Group
from evote.crypto.shamir import recover_secret
from evote.errors import CeremonyError, InvalidKeyFile, InvalidShare

FAST = KdfStrength.INTERACTIVE
ELECTION = "files-test"
N, T = 3, 2


def passphrase(index: int) -> str:
    return f"correct horse battery staple {index}"


def init_all(tmp_path: Path, group: Group = ED25519) -> tuple[list[Path], list[Path]]:
    folders = [tmp_path / f"trustee-{i}" for i in range(1, N + 1)]
    announce = [
        files.trustee_init(folder, group, ELECTION, i, N, T, passphrase(i), strength=FAST)
        for i, folder in enumerate(folders, 1)
    ]
    return folders, announce


def run_to_confirm(tmp_path: Path) -> tuple[list[Path], dict[str, list[Path]]]:
    folders, announce = init_all(tmp_path)
    commits = [
        files.trustee_commit(f, announce, passphrase(i), strength=FAST)
        for i, f in enumerate(folders, 1)
    ]
    reveals = [files.trustee_reveal(f, commits) for f in folders]
    shares = [
        p for i, f in enumerate(folders, 1) for p in files.trustee_send(f, reveals, passphrase(i))
    ]
    complaints = [
        files.trustee_receive(f, shares, passphrase(i), strength=FAST)[0]
        for i, f in enumerate(folders, 1)
    ]
    confirms = [
        files.trustee_confirm(f, complaints, [], passphrase(i), strength=FAST)[0]
        for i, f in enumerate(folders, 1)
    ]
    return folders, {
        "announce": announce,
        "commit": commits,
        "reveal": reveals,
        "share": shares,
        "complaints": complaints,
        "confirm": confirms,
    }


def test_file_steps_end_to_end(tmp_path: Path) -> None:
    folders, produced = run_to_confirm(tmp_path)
    result_path = tmp_path / "ceremony-result.json"
    result = files.ceremony_finalize(
        result_path,
        produced["announce"],
        produced["commit"],
        produced["reveal"],
        produced["confirm"],
    )
    decoded = wire.ceremony_result_from_json(result_path.read_bytes())
    check_ceremony_result(decoded)
    assert decoded == result
    shares = {
        i: files.read_share_key_file(f / files.KEY_FILE, passphrase(i), result, i).share
        for i, f in enumerate(folders, 1)
    }
    for subset in ((1, 2), (1, 3), (2, 3)):
        secret = recover_secret({i: shares[i] for i in subset}, ED25519.order)
        assert ED25519.base_exp(secret) == result.joint_key
    # Nothing secret in clear: the shares' bytes appear in no file of any folder.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for share in shares.values():
                raw = ED25519.scalar_to_bytes(share)
                assert raw not in content
                assert raw.hex().encode() not in content
    with pytest.raises(CeremonyError, match=r"already there"):
        files.ceremony_finalize(
            result_path,
            produced["announce"],
            produced["commit"],
            produced["reveal"],
            produced["confirm"],
        )


def test_out_of_order_steps_refused(tmp_path: Path) -> None:
    folders, announce = init_all(tmp_path)
    with pytest.raises(CeremonyError, match=r"reveal now.*next step is evote trustee commit"):
        files.trustee_reveal(folders[0], [])
    with pytest.raises(CeremonyError, match=r"cannot send shares"):
        files.trustee_send(folders[0], [], passphrase(1))
    with pytest.raises(CeremonyError, match=r"cannot receive shares"):
        files.trustee_receive(folders[0], [], passphrase(1))
    with pytest.raises(CeremonyError, match=r"already lives here"):
        files.trustee_init(folders[0], ED25519, ELECTION, 1, N, T, "x", strength=FAST)
    with pytest.raises(CeremonyError, match=r"no trustee here"):
        files.trustee_commit(tmp_path / "nobody", announce, "x")
    # Commit before every trustee announced.
    with pytest.raises(CeremonyError, match=r"trustee 3: has not announced"):
        files.trustee_commit(folders[0], announce[:2], passphrase(1), strength=FAST)
    commits = [
        files.trustee_commit(f, announce, passphrase(i), strength=FAST)
        for i, f in enumerate(folders, 1)
    ]
    with pytest.raises(CeremonyError, match=r"cannot commit now"):
        files.trustee_commit(folders[0], announce, passphrase(1), strength=FAST)
    # Reveal before every hash is in.
    with pytest.raises(CeremonyError, match=r"trustee 3: commitment hash missing"):
        files.trustee_reveal(folders[0], commits[:2])
    reveals = [files.trustee_reveal(f, commits) for f in folders]
    with pytest.raises(CeremonyError, match=r"trustee 2: commitments not revealed"):
        files.trustee_send(folders[0], reveals[:1], passphrase(1))
    # Finalizing before the confirmations are in.
    with pytest.raises(CeremonyError, match=r"trustee 1: has not confirmed"):
        files.ceremony_finalize(tmp_path / "r.json", announce, commits, reveals, [])


def test_mismatched_announcement_refused(tmp_path: Path) -> None:
    folders, announce = init_all(tmp_path)
    stranger = files.trustee_init(
        tmp_path / "stranger", ED25519, ELECTION, 3, N, T + 1, passphrase(3), strength=FAST
    )
    with pytest.raises(CeremonyError, match=r"trustee 3: announced .* t = 3"):
        files.trustee_commit(folders[0], [*announce[:2], stranger], passphrase(1), strength=FAST)
    with pytest.raises(CeremonyError, match=r"trustee 1: index 1 is announced twice"):
        files.trustee_commit(folders[0], [*announce, announce[0]], passphrase(1), strength=FAST)


def test_wrong_passphrase_and_tampered_key_file(tmp_path: Path) -> None:
    folders, announce = init_all(tmp_path)
    with pytest.raises(InvalidKeyFile, match=r"wrong passphrase or tampered"):
        files.trustee_commit(folders[0], announce, "not the passphrase", strength=FAST)
    key_path = folders[1] / files.KEY_FILE
    document = json.loads(key_path.read_bytes())
    document["header"]["index"] = 1
    key_path.write_text(json.dumps(document))
    with pytest.raises(InvalidKeyFile, match=r"wrong passphrase or tampered"):
        files.trustee_commit(folders[1], announce, passphrase(2), strength=FAST)


def test_share_key_file_checks(tmp_path: Path) -> None:
    folders, produced = run_to_confirm(tmp_path)
    result = files.ceremony_finalize(
        tmp_path / "result.json",
        produced["announce"],
        produced["commit"],
        produced["reveal"],
        produced["confirm"],
    )
    with pytest.raises(InvalidKeyFile, match=r"wrong passphrase"):
        files.read_share_key_file(folders[0] / files.KEY_FILE, "wrong", result, 1)
    # Trustee 2's key file presented as trustee 1's.
    with pytest.raises(InvalidKeyFile, match=r"expected"):
        files.read_share_key_file(folders[1] / files.KEY_FILE, passphrase(2), result, 1)
    key_path = folders[0] / files.KEY_FILE
    document = json.loads(key_path.read_bytes())
    ciphertext = bytearray(document["aead"]["ciphertext"].encode())
    ciphertext[5] = ord("A") if ciphertext[5] != ord("A") else ord("B")
    document["aead"]["ciphertext"] = ciphertext.decode()
    key_path.write_text(json.dumps(document))
    with pytest.raises(InvalidKeyFile):
        files.read_share_key_file(key_path, passphrase(1), result, 1)


def _up_to_send(tmp_path: Path) -> tuple[list[Path], dict[str, list[Path]]]:
    folders, announce = init_all(tmp_path)
    commits = [
        files.trustee_commit(f, announce, passphrase(i), strength=FAST)
        for i, f in enumerate(folders, 1)
    ]
    reveals = [files.trustee_reveal(f, commits) for f in folders]
    return folders, {"announce": announce, "commit": commits, "reveal": reveals}


def _send_all(folders: list[Path], produced: dict[str, list[Path]]) -> list[Path]:
    return [
        p
        for i, f in enumerate(folders, 1)
        for p in files.trustee_send(f, produced["reveal"], passphrase(i))
    ]


def test_false_complaint_is_judged_and_the_ceremony_continues(tmp_path: Path) -> None:
    """Trustee 1 complains about trustee 2's good share: the answer names trustee 1."""
    folders, produced = _up_to_send(tmp_path)
    shares = _send_all(folders, produced)
    # Trustee 2's share for trustee 1 replaced by its share for trustee 3 (a valid box, but for
    # another pair of trustees): trustee 1 cannot open it and complains about trustee 2.
    to_one = tmp_path / "trustee-2" / "out" / "share-2-to-1.json"
    to_three = json.loads((tmp_path / "trustee-2" / "out" / "share-2-to-3.json").read_bytes())
    to_three["recipient"] = 1
    to_one.write_text(json.dumps(to_three))
    received = [
        files.trustee_receive(f, shares, passphrase(i), strength=FAST)
        for i, f in enumerate(folders, 1)
    ]
    complaints = [path for path, _ in received]
    assert [(c.accuser, c.accused) for _, found in received for c in found] == [(1, 2)]
    with pytest.raises(CeremonyError, match=r"cannot receive shares"):
        files.trustee_receive(folders[0], shares, passphrase(1), strength=FAST)
    # Nobody can confirm before the accused answers.
    with pytest.raises(CeremonyError, match=r"trustee 2: has not answered the complaint of"):
        files.trustee_confirm(folders[2], complaints, [], passphrase(3), strength=FAST)
    assert files.trustee_answer(folders[0], complaints, passphrase(1)) == []
    answers = files.trustee_answer(folders[1], complaints, passphrase(2))
    assert [p.name for p in answers] == ["answer-2-to-1.json"]
    public = (produced["announce"], produced["commit"], produced["reveal"])
    (verdict,) = files.ceremony_judge(*public, complaints, answers)
    assert (verdict.upheld, verdict.cheater) == (False, 1)
    assert "trustee 1: its complaint about trustee 2 is false" in verdict.describe()
    confirmed = [
        files.trustee_confirm(f, complaints, answers, passphrase(i), strength=FAST)
        for i, f in enumerate(folders, 1)
    ]
    # Every trustee reached the same verdict from the public files.
    assert {outcome for _, outcome in confirmed} == {(verdict,)}
    confirms = [path for path, _ in confirmed]
    with pytest.raises(CeremonyError, match=r"confirmed another transcript hash"):
        files.ceremony_finalize(tmp_path / "r0.json", *public, confirms)
    result = files.ceremony_finalize(tmp_path / "r.json", *public, confirms, complaints, answers)
    assert [(c.accuser, c.accused) for c in result.complaints] == [(1, 2)]
    assert [(a.accused, a.accuser) for a in result.answers] == [(2, 1)]
    decoded = wire.ceremony_result_from_json((tmp_path / "r.json").read_bytes())
    assert decoded == result
    check_ceremony_result(decoded)
    values = {
        i: files.read_share_key_file(f / files.KEY_FILE, passphrase(i), result, i).share
        for i, f in enumerate(folders, 1)
    }
    for subset in ((1, 2), (1, 3), (2, 3)):
        secret = recover_secret({i: values[i] for i in subset}, ED25519.order)
        assert ED25519.base_exp(secret) == result.joint_key


def change_polynomial(folder: Path, index: int, election_id: str, passphrase: str) -> None:
    """Trustee ``index`` deals from another polynomial (same constant term) than it committed:
    its key file is rewritten after its commitments were revealed."""
    state = files.TrusteeState.from_json((folder / files.STATE_FILE).read_bytes(), "state")
    opened = files._open_secrets(
        folder / files.KEY_FILE, passphrase, ED25519, election_id, index, files.COMMITTED
    )
    coefficients = [opened.coefficients[0], (opened.coefficients[1] + 1) % ED25519.order]
    write_key_file(
        folder / files.KEY_FILE,
        files._secret_payload(files.COMMITTED, opened.transport, coefficients, None),
        passphrase,
        files._key_header(state, files.COMMITTED),
        strength=FAST,
        overwrite=True,
    )


def test_true_complaint_names_the_accused_and_stops_the_ceremony(tmp_path: Path) -> None:
    folders, produced = _up_to_send(tmp_path)
    change_polynomial(folders[1], 2, ELECTION, passphrase(2))
    shares = _send_all(folders, produced)
    received = [
        files.trustee_receive(f, shares, passphrase(i), strength=FAST)
        for i, f in enumerate(folders, 1)
    ]
    assert sorted((c.accuser, c.accused) for _, found in received for c in found) == [
        (1, 2),
        (3, 2),
    ]
    complaints = [path for path, _ in received]
    answers = files.trustee_answer(folders[1], complaints, passphrase(2))
    public = (produced["announce"], produced["commit"], produced["reveal"])
    verdicts = files.ceremony_judge(*public, complaints, answers)
    assert [(v.accuser, v.accused, v.upheld, v.cheater) for v in verdicts] == [
        (1, 2, True, 2),
        (3, 2, True, 2),
    ]
    stop = r"trustee 2: cheated: the share it published for trustee 1 does not match"
    for i, folder in enumerate(folders, 1):
        with pytest.raises(InvalidShare, match=stop):
            files.trustee_confirm(folder, complaints, answers, passphrase(i), strength=FAST)
    with pytest.raises(InvalidShare, match=stop):
        files.ceremony_finalize(tmp_path / "r.json", *public, [], complaints, answers)
    assert not (tmp_path / "r.json").exists()


def test_message_from_another_ceremony_refused(tmp_path: Path) -> None:
    folders, announce = init_all(tmp_path / "a")
    other_folders, other_announce = init_all(tmp_path / "b")
    commits = [
        files.trustee_commit(f, announce, passphrase(i), strength=FAST)
        for i, f in enumerate(folders, 1)
    ]
    other_commit = files.trustee_commit(
        other_folders[0], other_announce, passphrase(1), strength=FAST
    )
    with pytest.raises(CeremonyError, match=r"belongs to another ceremony"):
        files.trustee_reveal(folders[0], [other_commit, *commits[1:]])
