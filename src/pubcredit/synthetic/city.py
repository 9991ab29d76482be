"""A synthetic Hangzhou: organisations, persons, relations and five years of credit records.

``generate(plan)`` is deterministic for a seed and ``as_of`` date (only the random nonces of the
ID-number encryption differ between runs). It streams rows to PostgreSQL with COPY inside one
transaction: 1 M records take minutes, and a failure leaves nothing behind.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from faker import Faker
from tqdm import tqdm

from pubcredit.catalog.models import CatalogVersion, Department, InfoClass, VersionState
from pubcredit.codes import HANGZHOU_DISTRICTS, NO_CODE_PLACEHOLDER, mask_resident_id
from pubcredit.codes.synth import make_resident_id, make_uscc
from pubcredit.collection import rules as collection_rules
from pubcredit.collection.models import Record
from pubcredit.collection.rules import content_hash, disclosure_end
from pubcredit.errors import InvalidInput
from pubcredit.subjects import pii
from pubcredit.subjects.models import Subject, SubjectRelation
from pubcredit.synthetic.values import Context, compile_field

DEFAULT_AS_OF = date(2026, 10, 31)
DISTRICT_NAMES = dict(HANGZHOU_DISTRICTS)
MAX_ORGS = 5_000_000
MAX_PERSONS = 20_000_000
MAX_RECORDS = 500_000_000

# Relative population weights of Hangzhou's current districts and counties.
DISTRICT_WEIGHTS = {
    "330102": 13, "330105": 12, "330106": 12, "330108": 6, "330109": 20, "330110": 13, "330111": 8,
    "330112": 6, "330113": 11, "330114": 8, "330122": 4, "330127": 3, "330182": 4,
}
RETIRED_BEFORE_2021 = {"330102": "330104", "330105": "330103", "330111": "330183", "330112": "330185"}

MARKET_ENTRIES = collection_rules.MARKET_ENTRIES

# Entries about one kind of organisation only (by registration department/type), not all of a kind.
ENTRY_ORG_TAGS = {
    "social-org-registration": ("social_org", "private_non_enterprise"),
    "org-branches": ("company",),
}

# (tag, kind, registration department, org type, share)
ORG_TYPES = [
    ("company", "legal_person", "9", "1", 0.66),
    ("branch", "unincorporated_org", "9", "1", 0.07),
    ("partnership", "unincorporated_org", "9", "1", 0.03),
    ("individual_business", "unincorporated_org", "9", "2", 0.14),
    ("cooperative", "legal_person", "9", "3", 0.03),
    ("social_org", "legal_person", "5", "1", 0.02),
    ("private_non_enterprise", "legal_person", "5", "2", 0.02),
    ("public_institution", "legal_person", "1", "2", 0.02),
    ("law_firm", "unincorporated_org", "3", "1", 0.01),
]
INDUSTRIES = ["科技", "网络科技", "信息技术", "贸易", "餐饮管理", "建筑工程", "物流", "电子商务", "文化传媒",
              "食品", "医药", "服装", "机械制造", "环保科技", "房地产开发", "物业管理", "教育咨询", "旅游",
              "新能源", "生物科技", "装饰工程", "汽车服务", "农业开发", "化工"]
PUBLIC_INSTITUTIONS = ["社区卫生服务中心", "图书馆", "文化馆", "疾病预防控制中心"]
SHOPS = ["小吃店", "便利店", "水果店", "理发店", "五金店", "服装店", "面馆", "超市", "维修部", "茶叶店"]
WORDS = ["恒", "信", "达", "华", "嘉", "瑞", "鑫", "盛", "德", "安", "和", "泰", "卓", "远", "博", "正", "新",
         "宏", "丰", "源", "锦", "江", "杭", "钱", "湖", "越", "之", "联", "创", "通", "海", "云", "启", "明"]


@dataclass(frozen=True)
class CityPlan:
    orgs: int
    persons: int
    records: int
    seed: int = 1
    as_of: date = DEFAULT_AS_OF
    years: int = 5

    def check(self) -> None:
        """InvalidInput naming the first argument out of range."""
        for name, value, low, high in (("orgs", self.orgs, 1, MAX_ORGS), ("persons", self.persons, 1, MAX_PERSONS),
                                       ("records", self.records, 0, MAX_RECORDS), ("years", self.years, 1, 30)):
            if not low <= value <= high:
                raise InvalidInput(f"应在 {low} 到 {high} 之间，实际为 {value}", field=name)


@dataclass
class CityStats:
    orgs: int = 0
    persons: int = 0
    relations: int = 0
    records: int = 0
    records_by_class: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def __str__(self) -> str:
        classes = ", ".join(f"{k} {v}" for k, v in sorted(self.records_by_class.items()))
        return (f"{self.orgs} organisations, {self.persons} persons, {self.relations} relations, "
                f"{self.records} records ({classes}) in {self.seconds:.1f} s")


@dataclass
class _Person:
    id: int
    name: str
    resident_id: str
    region: str


@dataclass
class _Org:
    id: int
    tag: str
    kind: str
    name: str
    uscc: str
    region: str
    founded: date
    legal_rep: _Person | None = None


def city_exists() -> bool:
    return Subject.objects.exists()


def _reserve_ids(table: str, count: int) -> int:
    """Reserve ``count`` consecutive ids from the table's sequence; return the first."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        seq = cur.fetchone()[0]
        cur.execute("SELECT nextval(%s)", [seq])
        first = int(cur.fetchone()[0])
        cur.execute("SELECT setval(%s, %s)", [seq, first + count - 1])
    return first


def _copy(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]], *, bar: Any = None) -> int:
    n = 0
    with connection.cursor() as cur:
        raw = cur.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
                if bar is not None and n % 2000 == 0:
                    bar.update(2000)
    if bar is not None:
        bar.update(n % 2000)
    return n


class _Builder:
    def __init__(self, plan: CityPlan, progress: bool) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(plan.seed)
        self.progress = progress
        self.now = timezone.now()
        self.districts = list(DISTRICT_WEIGHTS)
        self.district_weights = list(DISTRICT_WEIGHTS.values())
        self.persons: list[_Person] = []
        self.orgs: list[_Org] = []

    def bar(self, total: int, desc: str) -> Any:
        return tqdm(total=total, desc=desc, unit=" rows", disable=not self.progress, mininterval=0.5)

    def _district(self) -> str:
        return self.rng.choices(self.districts, self.district_weights)[0]

    # persons -------------------------------------------------------------------------------
    def build_persons(self) -> None:
        seen: set[str] = set()
        first = _reserve_ids(Subject._meta.db_table, self.plan.persons)
        for i in range(self.plan.persons):
            region = self._district() if self.rng.random() < 0.8 else self.rng.choice(
                ["330203", "330302", "330402", "330602", "340102", "320102", "360102", "410102"])
            if region in RETIRED_BEFORE_2021 and self.rng.random() < 0.5:
                region = RETIRED_BEFORE_2021[region]  # IDs keep the region of first registration
            while True:
                birth = date(1950, 1, 1) + timedelta(days=self.rng.randint(0, 55 * 365))
                sex = "M" if self.rng.random() < 0.51 else "F"
                rid = make_resident_id(self.rng, region_code=region, birth_date=birth, sex=sex)
                if rid not in seen:
                    seen.add(rid)
                    break
            name = self.fake.name_male() if sex == "M" else self.fake.name_female()
            self.persons.append(_Person(first + i, name, rid, region))

    def person_rows(self) -> Iterator[tuple[Any, ...]]:
        for p in self.persons:
            yield (p.id, self._uuid(), "natural_person", p.name, None, pii.resident_id_hash(p.resident_id),
                   pii.encrypt_resident_id(p.resident_id), mask_resident_id(p.resident_id), p.region[:6], True,
                   "synthetic", self.now, self.now)

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    # organisations ---------------------------------------------------------------------------
    def build_orgs(self) -> None:
        first = _reserve_ids(Subject._meta.db_table, self.plan.orgs)
        names: set[str] = set()
        codes: set[str] = set()
        tags = [t for t, *_ in ORG_TYPES]
        shares = [t[-1] for t in ORG_TYPES]
        spec = {t[0]: t for t in ORG_TYPES}
        companies: list[_Org] = []
        for i in range(self.plan.orgs):
            tag = self.rng.choices(tags, shares)[0]
            if tag == "branch" and not companies:
                tag = "company"
            _, kind, dept, otype, _share = spec[tag]
            region = self._district()
            founded = self.plan.as_of - timedelta(days=int(self.rng.random() ** 0.7 * 30 * 365))
            code_region = RETIRED_BEFORE_2021.get(region, region) if founded.year < 2021 else region
            while True:
                code = make_uscc(self.rng, region_code=code_region, department=dept, org_type=otype)
                if code not in codes:
                    codes.add(code)
                    break
            legal_rep = self.rng.choice(self.persons)
            name = self._org_name(tag, region, legal_rep.name, companies, names)
            org = _Org(first + i, tag, kind, name, code, region, founded, legal_rep)
            if tag == "company":
                companies.append(org)
            self.orgs.append(org)

    def _org_name(self, tag: str, region: str, person: str, companies: list[_Org], names: set[str]) -> str:
        district = DISTRICT_NAMES.get(region, "杭州市")
        short = district[:2]
        for attempt in range(50):
            brand = "".join(self.rng.sample(WORDS, 2))
            if tag == "company":
                form = self.rng.choice(["有限公司", "有限公司", "有限公司", "股份有限公司"])
                name = f"杭州{brand}{self.rng.choice(INDUSTRIES)}{form}"
            elif tag == "branch":
                parent = self.rng.choice(companies)
                name = f"{parent.name}{short}分公司"
            elif tag == "partnership":
                name = f"杭州{brand}投资管理合伙企业（有限合伙）"
            elif tag == "individual_business":
                name = f"{district}{person}{self.rng.choice(SHOPS)}"
            elif tag == "cooperative":
                name = f"杭州市{district}{brand}{self.rng.choice(['茶叶', '果蔬', '水产', '苗木'])}专业合作社"
            elif tag == "social_org":
                name = f"杭州市{self.rng.choice(INDUSTRIES)}行业协会"
            elif tag == "private_non_enterprise":
                name = f"杭州市{district}{brand}培训学校"
            elif tag == "public_institution":
                name = f"杭州市{district}{self.rng.choice(PUBLIC_INSTITUTIONS)}"
            else:
                name = f"浙江{brand}律师事务所"
            if attempt:
                name = f"{name}（{attempt}）" if tag != "company" else name.replace("杭州", f"杭州{attempt}", 1)
            if name not in names:
                names.add(name)
                return name
        raise AssertionError("could not find a unique name")  # pragma: no cover

    def org_rows(self) -> Iterator[tuple[Any, ...]]:
        for o in self.orgs:
            yield (o.id, self._uuid(), o.kind, o.name, o.uscc, None, None, "", o.uscc[2:8], True, "synthetic",
                   self.now, self.now)

    def relation_rows(self) -> Iterator[tuple[Any, ...]]:
        companies = [o for o in self.orgs if o.tag == "company"]
        by_name = {o.name: o for o in companies}
        for o in self.orgs:
            if o.legal_rep is not None:
                role = "legal_rep" if o.kind == "legal_person" else "principal"
                yield (o.id, o.legal_rep.id, role, o.founded, None, "synthetic", self.now)
            if o.tag == "company" and self.rng.random() < 0.35:
                chosen = {o.legal_rep.id if o.legal_rep else 0}
                for role in ("director", "supervisor", "manager", "actual_controller"):
                    if role == "actual_controller" and self.rng.random() < 0.6:
                        continue
                    p = self.rng.choice(self.persons)
                    if p.id in chosen:
                        continue
                    chosen.add(p.id)
                    yield (o.id, p.id, role, o.founded, None, "synthetic", self.now)
            if o.tag == "branch":
                parent_name = next((n for n in by_name if o.name.startswith(n)), None)
                if parent_name:
                    yield (by_name[parent_name].id, o.id, "branch", o.founded, None, "synthetic", self.now)

    # records -------------------------------------------------------------------------------
    def record_rows(self, versions: list[CatalogVersion], depts: dict[int, Department],
                    stats: CityStats) -> Iterator[tuple[Any, ...]]:
        """Rows for COPY. Runs while COPY holds the connection: it must not query the database."""
        plans = []
        for v in versions:
            gens = [(f["name"], compile_field(f, decision_field=v.decision_date_field,
                                              disclosure_months=v.disclosure_months)) for f in v.fields]
            plans.append((v, gens, _entry_weight(v)))
        weights = [w for *_, w in plans]
        by_kind: dict[str, list[Any]] = {"natural_person": self.persons}
        by_kind["legal_person"] = [o for o in self.orgs if o.kind == "legal_person"]
        by_kind["unincorporated_org"] = [o for o in self.orgs if o.kind == "unincorporated_org"]
        span = self.plan.years * 365
        used_keys: set[tuple[int, str]] = set()
        by_tags = {code: [o for o in self.orgs if o.tag in tags] for code, tags in ENTRY_ORG_TAGS.items()}
        by_tags = {code: pool for code, pool in by_tags.items() if pool}
        for seq in range(1, self.plan.records + 1):
            v, gens, _w = self.rng.choices(plans, weights)[0]
            tag_pool = by_tags.get(v.entry.code)
            if tag_pool is not None:
                pool = tag_pool
            else:
                kinds = [k for k in v.subject_kinds if by_kind.get(k)]
                if not kinds:
                    continue
                pool = by_kind[self.rng.choice(kinds)]
            # a few subjects collect many records: pick from the first 5 % a third of the time
            subj = pool[self.rng.randrange(max(1, len(pool) // 20))] if self.rng.random() < 0.33 \
                else pool[self.rng.randrange(len(pool))]
            decision = self.plan.as_of - timedelta(days=int(span * self.rng.random() ** 1.4))
            dept = depts[v.entry.department_id]
            ctx = _context(self.rng, seq, v, subj, dept, decision, self.plan.as_of)
            data = {}
            for name, gen in gens:
                value = gen(ctx)
                if value is not None and value != "":
                    data[name] = value
            key_parts = [str(data.get(k, "")) for k in v.natural_key] if v.natural_key else []
            natural_key = ("|".join(key_parts) if any(key_parts) else f"{v.entry.code}-{seq:09d}")[:240]
            if (v.entry_id, natural_key) in used_keys:
                natural_key = f"{natural_key}#{seq}"
            used_keys.add((v.entry_id, natural_key))
            until = disclosure_end(decision, v.disclosure_months) if v.entry.info_class == InfoClass.ADVERSE \
                else None
            stats.records_by_class[v.entry.info_class] = stats.records_by_class.get(v.entry.info_class, 0) + 1
            yield (subj.id, v.entry_id, v.pk, dept.pk, v.entry.info_class, v.open_level, "public", natural_key,
                   1, "active", _json(data), content_hash(data), decision, until,
                   datetime.combine(decision + timedelta(days=self.rng.randint(0, 10)), datetime.min.time(),
                                    tzinfo=self.now.tzinfo))


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _entry_weight(v: CatalogVersion) -> float:
    name = v.entry.name
    if "处罚" in name:
        return 14.0
    if "许可" in name:
        return 16.0
    if v.entry.info_class == InfoClass.BASIC:
        return 3.0
    if v.entry.info_class == InfoClass.ADVERSE:
        return 2.0
    return 1.5


def _context(rng: random.Random, seq: int, v: CatalogVersion, subj: Any, dept: Department, decision: date,
             as_of: date) -> Context:
    if isinstance(subj, _Person):
        return Context(rng, seq, v.entry.code, v.entry.name, "natural_person", subj.name, subj.resident_id, "person",
                       "", "", dept.name, dept.uscc, _abbr(dept), decision, as_of)
    rep = subj.legal_rep
    code = NO_CODE_PLACEHOLDER if (subj.tag == "individual_business" and rng.random() < 0.05) else subj.uscc
    return Context(rng, seq, v.entry.code, v.entry.name, subj.kind, subj.name, code, subj.tag,
                   rep.name if rep else "", rep.resident_id if rep else "", dept.name, dept.uscc, _abbr(dept),
                   decision, as_of, subject_uscc=subj.uscc, subject_founded=subj.founded)


def _abbr(dept: Department) -> str:
    name = dept.name.replace("杭州市", "").replace("市", "", 1)
    return name[:2] or "信"


def generate(plan: CityPlan, *, progress: bool = False) -> CityStats:
    """Generate a synthetic city into the database, all in one transaction.

    Needs a published catalog (``pubcredit catalog load``). Raises InvalidInput for a plan
    out of range or a missing catalog; on any failure nothing is written.
    """
    import time

    plan.check()
    # Market credit information (Art. 15, 17) comes from subjects and agencies, not departments:
    # the synthetic city holds public credit information only.
    versions = list(CatalogVersion.objects.filter(state=VersionState.PUBLISHED).select_related("entry")
                    .exclude(entry__code__in=MARKET_ENTRIES))
    depts = {d.pk: d for d in Department.objects.all()}
    if not versions:
        raise InvalidInput("归集目录尚未发布，请先运行 pubcredit catalog load", field="catalog")
    started = time.perf_counter()
    b = _Builder(plan, progress)
    stats = CityStats()
    subject_cols = ["id", "public_ref", "kind", "name", "uscc", "resident_id_hash", "resident_id_enc",
                    "resident_id_masked", "region_code", "verified", "source", "created_at", "updated_at"]
    with transaction.atomic():
        b.build_persons()
        with b.bar(plan.persons, "persons") as bar:
            stats.persons = _copy(Subject._meta.db_table, subject_cols, b.person_rows(), bar=bar)
        b.build_orgs()
        with b.bar(plan.orgs, "organisations") as bar:
            stats.orgs = _copy(Subject._meta.db_table, subject_cols, b.org_rows(), bar=bar)
        stats.relations = _copy(SubjectRelation._meta.db_table,
                                ["organization_id", "related_id", "role", "since", "until", "source", "created_at"],
                                b.relation_rows())
        record_cols = ["subject_id", "entry_id", "entry_version_id", "department_id", "info_class", "open_level",
                       "source", "natural_key", "version", "status", "data", "content_hash", "decision_date",
                       "disclosure_until", "collected_at"]
        # A platform appends records as it collects them, so its table is in collection order (what
        # the BRIN index on collected_at relies on). The city's records are drawn in no time order:
        # staged first, then written in the order a platform would have collected them.
        with connection.cursor() as cur:
            cur.execute(f"CREATE TEMPORARY TABLE city_records ON COMMIT DROP AS "
                        f"SELECT {', '.join(record_cols)} FROM {Record._meta.db_table} WITH NO DATA")
        with b.bar(plan.records, "records") as bar:
            stats.records = _copy("city_records", record_cols, b.record_rows(versions, depts, stats), bar=bar)
        columns = ", ".join(record_cols)
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {Record._meta.db_table} ({columns}) "
                        f"SELECT {columns} FROM city_records ORDER BY collected_at, ctid")  # ctid: as drawn
            cur.execute("DROP TABLE city_records")  # also inside an outer transaction (tests)
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {Subject._meta.db_table}; ANALYZE {Record._meta.db_table};")
        # What autovacuum does on a platform, some time after records arrive: summarise the page
        # ranges of the records' BRIN indexes (an unsummarised range is read by every search).
        cur.execute("SELECT brin_summarize_new_values(indexrelid) FROM pg_index JOIN pg_class c ON c.oid = indexrelid "
                    "JOIN pg_am am ON am.oid = c.relam WHERE indrelid = %s::regclass AND am.amname = 'brin'",
                    [Record._meta.db_table])
    stats.seconds = time.perf_counter() - started
    return stats
