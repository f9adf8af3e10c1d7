#!/usr/bin/env python3
"""Writes an independent detection corpus with Faker's zh_CN locale.

Usage: pip install faker; python3 scripts/faker_corpus.py > /tmp/corpus.tsv
Then:  cargo run --release -p rongshu-classify --example detection_quality -- /tmp/corpus.tsv

Lines are `kind<TAB>value`; kind `none` marks values that are no identifier.
Faker has no landlines or unified social credit codes, so those kinds are
measured on the Rust generator's corpus only.
"""
import random
import sys

from faker import Faker

N = 20_000
fake = Faker("zh_CN")
# The zh_CN locale lacks the card types; the card providers are international.
cards = Faker()
Faker.seed(2026)
random.seed(2026)
CARDS = ["visa16", "visa19", "mastercard", "jcb16"]

kinds = {
    "resident_id": fake.ssn,
    "mobile": fake.phone_number,
    "bank_card": lambda: cards.credit_card_number(card_type=random.choice(CARDS)),
    "email": fake.email,
    "licence_plate": fake.license_plate,
    "ip_address": lambda: fake.ipv4() if random.random() < 0.85 else fake.ipv6(),
    "birth_date": lambda: fake.date_of_birth().isoformat(),
    "person_name": fake.name,
    "address": fake.address,
}
decoys = [
    fake.company,
    fake.job,
    lambda: fake.date_this_decade().isoformat(),
    lambda: str(fake.random_number(digits=random.randint(4, 19))),
    lambda: fake.sentence(nb_words=4),
    fake.url,
    lambda: f"{random.uniform(0, 1e6):.2f}",
    fake.word,
]

out = sys.stdout
for kind, make in kinds.items():
    for _ in range(N):
        out.write(f"{kind}\t{make()}\n")
for _ in range(N * 2):
    out.write(f"none\t{random.choice(decoys)()}\n")
