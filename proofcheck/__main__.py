from proofcheck.cli import console

console()
