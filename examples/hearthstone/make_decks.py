"""Write decks.csv: about a thousand Hearthstone decks, generated deterministically.

The real deck sites need an account and change every expansion, so the example brings
its own data. Each archetype has a pool of signature cards it plays most of the time;
every deck also takes class cards and neutral cards at random, so archetypes overlap the
way real ones do. About 40 % of the decks are published without an archetype
("Unknown"): the flow learns to name them. A few rows are dirty on purpose (duplicates,
decks missing cards, stray spaces) so that the flow's cleaning step has work to do.

    python examples/hearthstone/make_decks.py            # rewrites decks.csv beside it
"""
from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

SEED = 2017
N_DECKS = 1000
UNKNOWN_SHARE = 0.4
DECK_SIZE = 30

NEUTRAL = [
    "Acidic Swamp Ooze", "Azure Drake", "Bloodmage Thalnos", "Doomsayer", "Dr. Boom",
    "Emperor Thaurissan", "Faceless Manipulator", "Gnomish Inventor", "Harrison Jones",
    "Ironbeak Owl", "Knife Juggler", "Leper Gnome", "Loot Hoarder", "Mind Control Tech",
    "Novice Engineer", "Piloted Shredder", "Ragnaros the Firelord", "Sludge Belcher",
    "Sylvanas Windrunner", "Wild Pyromancer", "Youthful Brewmaster", "Zombie Chow",
    "Abusive Sergeant", "Argent Squire", "Big Game Hunter", "Defender of Argus",
    "Kezan Mystic", "Antique Healbot", "Bog Creeper", "Southsea Deckhand",
]

# class -> archetype -> signature cards (the cards that make the archetype what it is)
ARCHETYPES: dict[str, dict[str, list[str]]] = {
    "Druid": {
        "Ramp Druid": ["Wild Growth", "Nourish", "Ancient of Lore", "Ancient of War", "Innervate",
                       "Druid of the Claw", "Swipe", "Cenarius", "Keeper of the Grove"],
        "Token Druid": ["Power of the Wild", "Savage Roar", "Violet Teacher", "Living Roots",
                        "Mounted Raptor", "Innervate", "Swipe", "Fandral Staghelm"],
    },
    "Hunter": {
        "Face Hunter": ["Quick Shot", "Eaglehorn Bow", "Kill Command", "Unleash the Hounds",
                        "Animal Companion", "Arcane Shot", "Leper Gnome", "Knife Juggler"],
        "Secret Hunter": ["Freezing Trap", "Explosive Trap", "Snake Trap", "Cloaked Huntress",
                          "Eaglehorn Bow", "Kill Command", "Mad Scientist", "Savannah Highmane"],
    },
    "Mage": {
        "Freeze Mage": ["Frostbolt", "Ice Block", "Frost Nova", "Blizzard", "Ice Lance",
                        "Archmage Antonidas", "Alexstrasza", "Doomsayer", "Arcane Intellect"],
        "Tempo Mage": ["Mana Wyrm", "Sorcerer's Apprentice", "Flamewaker", "Arcane Missiles",
                       "Mirror Image", "Frostbolt", "Fireball", "Arcane Intellect"],
    },
    "Paladin": {
        "Secret Paladin": ["Mysterious Challenger", "Noble Sacrifice", "Avenge", "Redemption",
                           "Competitive Spirit", "Shielded Minibot", "Muster for Battle",
                           "Tirion Fordring"],
        "Control Paladin": ["Equality", "Consecration", "Truesilver Champion", "Lay on Hands",
                            "Aldor Peacekeeper", "Tirion Fordring", "Sludge Belcher",
                            "Antique Healbot"],
    },
    "Priest": {
        "Control Priest": ["Circle of Healing", "Auchenai Soulpriest", "Holy Nova", "Lightbomb",
                           "Cabal Shadow Priest", "Shadow Word: Death", "Entomb", "Thoughtsteal"],
        "Dragon Priest": ["Twilight Whelp", "Blackwing Corruptor", "Wyrmrest Agent",
                          "Twilight Guardian", "Azure Drake", "Shadow Word: Pain",
                          "Velen's Chosen", "Ysera"],
    },
    "Rogue": {
        "Miracle Rogue": ["Gadgetzan Auctioneer", "Preparation", "Conceal", "Fan of Knives",
                          "Backstab", "Eviscerate", "Sap", "Edwin VanCleef", "SI:7 Agent"],
        "Oil Rogue": ["Tinker's Sharpsword Oil", "Deadly Poison", "Blade Flurry", "Cold Blood",
                      "Eviscerate", "Backstab", "Violet Teacher", "Sap"],
    },
    "Shaman": {
        "Aggro Shaman": ["Lava Burst", "Crackle", "Lightning Bolt", "Doomhammer", "Rockbiter Weapon",
                         "Tunnel Trogg", "Totem Golem", "Feral Spirit"],
        "Midrange Shaman": ["Fire Elemental", "Mana Tide Totem", "Lightning Storm", "Hex",
                            "Feral Spirit", "Flametongue Totem", "Thunder Bluff Valiant",
                            "Al'Akir the Windlord"],
    },
    "Warlock": {
        "Zoo Warlock": ["Flame Imp", "Voidwalker", "Nerubian Egg", "Imp Gang Boss",
                        "Dark Iron Dwarf", "Defender of Argus", "Power Overwhelming",
                        "Doomguard"],
        "Handlock": ["Mountain Giant", "Molten Giant", "Twilight Drake", "Hellfire",
                     "Shadowflame", "Lord Jaraxxus", "Ancient Watcher", "Sunfury Protector"],
    },
    "Warrior": {
        "Control Warrior": ["Shield Slam", "Shield Block", "Brawl", "Shieldmaiden", "Execute",
                            "Grommash Hellscream", "Baron Geddon", "Armorsmith", "Revenge"],
        "Patron Warrior": ["Grim Patron", "Frothing Berserker", "Warsong Commander",
                           "Inner Rage", "Whirlwind", "Death's Bite", "Battle Rage",
                           "Unstable Ghoul"],
    },
}

CLASS_CARDS: dict[str, list[str]] = {
    hero: sorted({card for cards in archetypes.values() for card in cards})
    for hero, archetypes in ARCHETYPES.items()
}

# How often each archetype is published (popular decks get copied a lot).
POPULARITY = {"Face Hunter": 3.0, "Secret Paladin": 2.5, "Tempo Mage": 2.2, "Zoo Warlock": 2.0,
              "Miracle Rogue": 1.8, "Aggro Shaman": 1.8, "Control Warrior": 1.6}

TITLE_WORDS = ["Legend", "Rank 1", "Budget", "Climb", "Ladder", "Tournament", "Fun", "Meta",
               "Crusher", "Wild", "My", "Best", "Cheap", "Top 100"]
USERS = [f"player{n:03d}" for n in range(160)]
START = dt.date(2016, 1, 1)


def build_deck(rng: random.Random, hero: str, archetype: str) -> list[str]:
    """30 cards, at most two copies of each: mostly signature cards, then class and neutral noise."""
    counts: dict[str, int] = {}

    def take(card: str) -> None:
        if counts.get(card, 0) < 2 and sum(counts.values()) < DECK_SIZE:
            counts[card] = counts.get(card, 0) + 1

    signature = ARCHETYPES[hero][archetype]
    for card in signature:
        if rng.random() < 0.85:
            take(card)
            if rng.random() < 0.6:
                take(card)
    other_class = [c for c in CLASS_CARDS[hero] if c not in signature]
    while sum(counts.values()) < DECK_SIZE:
        pool = other_class if rng.random() < 0.35 else NEUTRAL
        take(rng.choice(pool))
    cards = [card for card, n in counts.items() for _ in range(n)]
    rng.shuffle(cards)
    return cards


def generate(seed: int = SEED, n: int = N_DECKS) -> list[dict[str, str]]:
    rng = random.Random(seed)
    names = [(hero, a) for hero, archetypes in ARCHETYPES.items() for a in archetypes]
    weights = [POPULARITY.get(a, 1.0) for _, a in names]
    rows = []
    for deck_id in range(1, n + 1):
        hero, archetype = rng.choices(names, weights)[0]
        cards = build_deck(rng, hero, archetype)
        unknown = rng.random() < UNKNOWN_SHARE
        title = f"{rng.choice(TITLE_WORDS)} {archetype if not unknown else hero}"
        rows.append({
            "deck_id": str(deck_id),
            "date": (START + dt.timedelta(days=rng.randrange(0, 730))).isoformat(),
            "deck_class": hero,
            "title": title,
            "user": rng.choice(USERS),
            "rating": str(max(0, int(rng.gauss(12, 15)))),
            "deck_archetype": "Unknown" if unknown else archetype,
            **{f"card_{i}": card for i, card in enumerate(cards)},
        })
    dirty(rng, rows)
    return rows


def dirty(rng: random.Random, rows: list[dict[str, str]]) -> None:
    """A little of what scraped data looks like: copies, a deck missing cards, stray spaces."""
    for row in rng.sample(rows, 15):
        rows.append(dict(row))  # the same deck published twice
    for row in rng.sample(rows, 8):
        row[f"card_{rng.randrange(DECK_SIZE)}"] = ""  # a card the scraper lost
    for row in rng.sample(rows, 20):
        row["deck_class"] = f" {row['deck_class']} "


def write(path: Path, rows: list[dict[str, str]]) -> None:
    fields = list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("decks.csv")
    rows = generate()
    write(target, rows)
    print(f"wrote {len(rows)} decks to {target}")
