"""``crlqas problems list|show``: browse the problem registry (:mod:`crlqas.qnoise.problems`)."""

from __future__ import annotations

import json
import sys

from .args import add_command, command_group, json_option, option

HELP = "named problems: molecular and spin-chain Hamiltonians with exact energies"

_LIST_OPTIONS = (json_option("print a JSON list of the problems' fields"),)

_SHOW_OPTIONS = (
    option("id", help="problem id (see 'crlqas problems list') or a problem JSON file"),
    json_option(),
    option("--terms", action="store_true", help="include the Pauli terms"),
)


def register(subparsers) -> None:
    sub = command_group(subparsers, "problems", HELP)
    add_command(sub, "list", _list, _LIST_OPTIONS)
    add_command(sub, "show", _show, _SHOW_OPTIONS)


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.10f}"


def _list(args) -> int:
    """list the problem ids

    List the shipped molecules and example spin chains (any tfim-<n>-<h>[-periodic] /
    heisenberg-<n>[-periodic] id works)."""
    from crlqas.qnoise.problems import get_problem, list_problems

    rows = [get_problem(pid).summary() for pid in list_problems()]
    if args.json:
        keys = ("id", "num_qubits", "num_terms", "constant", "e0", "e1", "lower_bound", "description")
        json.dump([{k: r[k] for k in keys} for r in rows], sys.stdout, indent=1)
        print()
        return 0
    print(f"{'id':24s} {'qubits':>6s} {'terms':>5s} {'E0':>16s} {'E1':>16s}  description")
    for r in rows:
        print(
            f"{r['id']:24s} {r['num_qubits']:6d} {r['num_terms']:5d} {_fmt(r['e0']):>16s} "
            f"{_fmt(r['e1']):>16s}  {r['description']}"
        )
    print("\nSpin chains: any tfim-<n>-<h>[-periodic] or heisenberg-<n>[-periodic] id.")
    return 0


def _show(args) -> int:
    """show one problem

    Show a problem's qubit count, terms, constant, exact energies (E0, E1), lower bound and
    description."""
    from crlqas.qnoise.problems import get_problem

    info = get_problem(args.id).summary(terms=args.terms)
    if args.json:
        json.dump(info, sys.stdout, indent=1)
        print()
        return 0
    for key, value in info.items():
        if key == "terms":
            continue
        if isinstance(value, float):
            value = f"{value:.12g}"
        if value not in ("", None):
            print(f"{key:18s} {value}")
    if args.terms:
        print("terms:")
        for label, coeff in info["terms"]:
            print(f"  {label}  {coeff: .12f}")
    return 0
