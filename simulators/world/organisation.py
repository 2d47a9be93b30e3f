"""The organisation: fiscal calendar, cost centres, departments, people, portfolios, programs, vendors.

Everything here is small enough to keep in memory for the largest world (10,000 people) and is
what the project generator draws on. It writes the ServiceNow reference tables as it goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from simulators.world.scales import Scale
from simulators.world.seeding import account_id, stream, sys_id
from simulators.world.store import INSERT_SN, RowBuffer, glide_date, glide_datetime, sn_row
from simulators.world.timeline import Timeline, add_months, at, month_end

COMPANY_DOMAIN = "example.com"
# Jira accounts of people finance and HR never heard of (external partners): no sys_user matches.
PARTNER_DOMAIN = "partner.example.net"

FIRST_NAMES = (
    "Aaliyah Aaron Abigail Adam Adrian Aisha Alan Alex Alice Amara Amelia Ana Andre Andrea Anna "
    "Arjun Ava Ben Bianca Carla Carlos Chen Chloe Chris Clara Daniel David Diego Elena Elif Emma "
    "Eric Eva Farah Felix Fiona Gabriel Grace Hannah Hassan Helen Hugo Ian Ines Isaac Ivan Jack "
    "Jade James Jana Javier Jin Jonas Julia Kai Karin Kenji Lara Leon Liam Lina Lucas Luca Maya "
    "Marco Maria Mateo Mia Milan Nadia Nina Noah Olga Omar Oscar Paula Priya Rafael Rosa Sam Sara "
    "Sofia Tara Theo Tomas Uma Victor Yara Yusuf Zoe"
).split()
LAST_NAMES = (
    "Adams Ahmed Alvarez Andersen Baker Bauer Becker Bianchi Brown Campbell Chen Costa Cruz Davis "
    "Dubois Evans Fischer Garcia Gomez Green Hall Hansen Hernandez Hill Hoffmann Huang Ito Jansen "
    "Johnson Jones Kaur Kelly Khan Kim Klein Kowalski Kumar Larsen Lee Lopez Martin Martinez Meyer "
    "Miller Moreau Muller Murphy Nakamura Nguyen Novak Olsen Park Patel Perez Petrov Price Quinn "
    "Ramos Reyes Ricci Roberts Rossi Santos Schmidt Schneider Silva Singh Smith Sousa Tanaka "
    "Taylor Thomas Torres Vogel Wagner Walker Wang Weber Wilson Wright Yamamoto Young Zhang"
).split()
DEPARTMENT_NAMES = (
    ("Application Development", "APPDEV"),
    ("Infrastructure & Operations", "INFRA"),
    ("Data & Analytics", "DATA"),
    ("Cyber Security", "SEC"),
    ("Digital Channels", "DIGI"),
    ("ERP Services", "ERP"),
    ("Enterprise Architecture", "EA"),
    ("Service Desk", "SD"),
    ("Finance Systems", "FINSYS"),
    ("HR Systems", "HRSYS"),
    ("Cloud Platform", "CLOUD"),
    ("Network Services", "NET"),
    ("Quality Engineering", "QE"),
    ("Workplace Technology", "WPT"),
    ("Integration Services", "INT"),
    ("Customer Systems", "CRM"),
)
REGIONS = ("", "NA", "EMEA", "APAC", "LATAM", "ANZ", "NORDICS", "DACH")
PORTFOLIO_NAMES = (
    "Customer Experience",
    "Operational Excellence",
    "Regulatory & Risk",
    "Data & AI",
    "Workplace Modernisation",
    "Cloud Transformation",
    "Growth Markets",
    "Core Platforms",
    "Supply Chain",
    "People & Culture",
    "Finance Transformation",
    "Security & Resilience",
)
DELIVERY_TITLES = (
    "Software Engineer",
    "Senior Software Engineer",
    "Business Analyst",
    "Solution Architect",
    "QA Engineer",
    "DevOps Engineer",
    "Data Engineer",
    "Scrum Master",
    "Product Owner",
    "UX Designer",
    "Infrastructure Engineer",
    "Security Analyst",
)
TIME_ZONES = ("America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata")
VENDOR_WORDS_A = (
    "Acme",
    "Northwind",
    "Contoso",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Oceanic",
    "Wonka",
    "Gringotts",
    "Aperture",
)
VENDOR_WORDS_B = (
    "Consulting",
    "Software",
    "Cloud Services",
    "Systems",
    "Digital",
    "Solutions",
    "Networks",
    "Analytics",
    "Security",
    "Staffing",
)
VENDOR_SUFFIX = ("Inc.", "GmbH", "Ltd", "LLC", "AG", "plc", "S.A.")


@dataclass(frozen=True)
class Company:
    """A legal entity that books GL lines in its own currency."""

    code: str
    currency: str
    share: float


COMPANIES = (Company("US01", "USD", 0.6), Company("DE01", "EUR", 0.25), Company("GB01", "GBP", 0.15))


@dataclass
class Department:
    index: int
    sys_id: str
    name: str
    code: str
    cost_center_sys_id: str
    cost_center_code: str


@dataclass
class Person:
    index: int
    sys_id: str
    user_name: str
    name: str
    email: str
    title: str
    department: int
    rate: float
    capacity: int
    contractor: bool
    joined: date
    left: date | None
    time_zone: str
    jira_account: str | None = None
    jira_email: str | None = None

    def available(self, first: date, last: date) -> bool:
        return self.joined <= first and (self.left is None or last < self.left)


@dataclass
class Program:
    sys_id: str
    number: str
    portfolio: int
    manager: int


@dataclass
class Portfolio:
    index: int
    sys_id: str
    name: str
    manager: int
    programs: list[Program] = field(default_factory=list)


@dataclass(frozen=True)
class Vendor:
    vendor_id: str
    name: str


@dataclass
class Organisation:
    """The people and structures projects are staffed and funded from."""

    fiscal_months: dict[date, str]
    departments: list[Department]
    extra_cost_centers: list[tuple[str, str]]  # (sys_id, code) not owned by a department
    people: list[Person]
    portfolios: list[Portfolio]
    vendors: list[Vendor]
    project_managers: list[int]
    delivery_by_department: dict[int, list[int]]
    delivery: list[int]


def build_organisation(seed: int, scale: Scale, timeline: Timeline, rows: RowBuffer) -> Organisation:
    """Generate and write the reference tables; return them for the project generator."""
    setup = at(timeline.history_start - timedelta(days=90), 9 * 3600)
    rng = stream(seed, "organisation")

    def stamp(body: dict[str, str], created: datetime, updated: datetime | None = None) -> None:
        body["sys_created_on"] = glide_datetime(created)
        body["sys_updated_on"] = glide_datetime(updated or created)

    fiscal_months = _write_fiscal_periods(seed, timeline, rows, setup)

    # Cost centres and departments
    departments: list[Department] = []
    for index in range(scale.departments):
        base, code = DEPARTMENT_NAMES[index % len(DEPARTMENT_NAMES)]
        region = REGIONS[index // len(DEPARTMENT_NAMES) % len(REGIONS)]
        round_ = index // (len(DEPARTMENT_NAMES) * len(REGIONS))
        name = f"{base} {region}".strip() + (f" {round_ + 1}" if round_ else "")
        dept_code = code + (f"-{region}" if region else "") + (f"-{round_ + 1}" if round_ else "")
        cc_code = f"CC{1000 + index * 10}"
        cc_id = sys_id(seed, "cmn_cost_center", cc_code)
        body = {"sys_id": cc_id, "name": f"{name} CC", "code": cc_code}
        stamp(body, setup + timedelta(minutes=index))
        rows.add(INSERT_SN, sn_row("cmn_cost_center", body))
        dept_id = sys_id(seed, "cmn_department", dept_code)
        body = {"sys_id": dept_id, "name": name, "id": dept_code, "cost_center": cc_id}
        stamp(body, setup + timedelta(minutes=index, seconds=30))
        rows.add(INSERT_SN, sn_row("cmn_department", body))
        departments.append(Department(index, dept_id, name, dept_code, cc_id, cc_code))
    extra_cost_centers = []
    for offset, name in enumerate(("Shared IT Services", "IT Licences & Subscriptions")):
        cc_code = f"CC9{offset:03d}"
        cc_id = sys_id(seed, "cmn_cost_center", cc_code)
        body = {"sys_id": cc_id, "name": name, "code": cc_code}
        stamp(body, setup + timedelta(hours=1, minutes=offset))
        rows.add(INSERT_SN, sn_row("cmn_cost_center", body))
        extra_cost_centers.append((cc_id, cc_code))

    people = _write_people(seed, scale, timeline, rows, departments, setup)

    # Roles: the first people are managers, so every scale has the same shape.
    portfolio_managers = list(range(scale.portfolios))
    program_count_guess = scale.portfolios * scale.programs_per_portfolio[1]
    program_managers = list(range(scale.portfolios, scale.portfolios + max(2, program_count_guess // 2)))
    pm_start = program_managers[-1] + 1
    # About one project manager per two projects in work at a time.
    project_managers = list(range(pm_start, pm_start + max(4, scale.projects // 5)))
    for index in portfolio_managers:
        people[index].title = "Portfolio Manager"
    for index in program_managers:
        people[index].title = "Programme Manager"
    for index in project_managers:
        people[index].title = "Project Manager"
    for index in (*portfolio_managers, *program_managers, *project_managers):
        # Managers stay for the whole history: every project and program keeps a live manager.
        people[index].left = None
        people[index].joined = min(people[index].joined, timeline.history_start)
    first_delivery = project_managers[-1] + 1
    delivery = list(range(first_delivery, len(people)))
    delivery_by_department: dict[int, list[int]] = {}
    for index in delivery:
        delivery_by_department.setdefault(people[index].department, []).append(index)

    for person in people:
        dept = departments[person.department]
        body = {
            "sys_id": person.sys_id,
            "user_name": person.user_name,
            "name": person.name,
            "email": person.email,
            "title": person.title,
            "active": "false" if person.left else "true",
            "department": dept.sys_id,
            "cost_center": dept.cost_center_sys_id,
            "u_hourly_cost_rate": f"{person.rate:.2f}",
            "u_weekly_capacity_hours": str(person.capacity),
            "u_employment_type": "contractor" if person.contractor else "employee",
        }
        created = at(max(person.joined - timedelta(days=7), setup.date()), 8 * 3600 + person.index)
        updated = at(person.left, 17 * 3600) if person.left else created + timedelta(days=rng.randint(0, 60))
        stamp(body, created, min(updated, timeline.latest))
        rows.add(INSERT_SN, sn_row("sys_user", body))

    portfolios: list[Portfolio] = []
    program_counter = 0
    for index in range(scale.portfolios):
        base = PORTFOLIO_NAMES[index % len(PORTFOLIO_NAMES)]
        name = base if index < len(PORTFOLIO_NAMES) else f"{base} {index // len(PORTFOLIO_NAMES) + 1}"
        portfolio = Portfolio(index, sys_id(seed, "pm_portfolio", index), name, portfolio_managers[index])
        body = {
            "sys_id": portfolio.sys_id,
            "name": name,
            "portfolio_manager": people[portfolio.manager].sys_id,
            "active": "true",
        }
        stamp(body, setup + timedelta(hours=2, minutes=index))
        rows.add(INSERT_SN, sn_row("pm_portfolio", body))
        for _ in range(rng.randint(*scale.programs_per_portfolio)):
            program_counter += 1
            number = f"PRGM{10000 + program_counter:07d}"
            program = Program(sys_id(seed, "pm_program", number), number, index, rng.choice(program_managers))
            body = {
                "sys_id": program.sys_id,
                "number": number,
                "short_description": f"{name} programme {len(portfolio.programs) + 1}",
                "portfolio": portfolio.sys_id,
                "program_manager": people[program.manager].sys_id,
                "state": "2",
            }
            stamp(body, setup + timedelta(hours=3, minutes=program_counter))
            rows.add(INSERT_SN, sn_row("pm_program", body))
            portfolio.programs.append(program)
        portfolios.append(portfolio)

    vendors = []
    for index in range(scale.vendors):
        words = (
            VENDOR_WORDS_A[index % len(VENDOR_WORDS_A)],
            VENDOR_WORDS_B[index // len(VENDOR_WORDS_A) % len(VENDOR_WORDS_B)],
            VENDOR_SUFFIX[index % len(VENDOR_SUFFIX)],
        )
        round_ = index // (len(VENDOR_WORDS_A) * len(VENDOR_WORDS_B))
        name = " ".join(words) if not round_ else f"{words[0]} {words[1]} {round_ + 1} {words[2]}"
        vendors.append(Vendor(f"V{100000 + index * 7}", name))

    return Organisation(
        fiscal_months=fiscal_months,
        departments=departments,
        extra_cost_centers=extra_cost_centers,
        people=people,
        portfolios=portfolios,
        vendors=vendors,
        project_managers=project_managers,
        delivery_by_department=delivery_by_department,
        delivery=delivery,
    )


def _write_fiscal_periods(seed: int, timeline: Timeline, rows: RowBuffer, setup: datetime) -> dict[date, str]:
    months: dict[date, str] = {}
    for offset, year in enumerate(timeline.fiscal_years):
        yy = f"{year % 100:02d}"
        created = setup + timedelta(minutes=offset)
        periods = [("year", f"FY{yy}", date(year, 1, 1), date(year, 12, 31))]
        for quarter in range(4):
            first = date(year, quarter * 3 + 1, 1)
            periods.append(("quarter", f"FY{yy}: Q{quarter + 1}", first, month_end(add_months(first, 2))))
        for month in range(1, 13):
            first = date(year, month, 1)
            periods.append(("month", f"FY{yy}: M{month:02d}", first, month_end(first)))
        for fiscal_type, name, first, last in periods:
            record_id = sys_id(seed, "fiscal_period", name)
            body = {
                "sys_id": record_id,
                "name": name,
                "fiscal_type": fiscal_type,
                "fiscal_start_date": glide_date(first),
                "fiscal_end_date": glide_date(last),
                "sys_created_on": glide_datetime(created),
                "sys_updated_on": glide_datetime(created),
            }
            rows.add(INSERT_SN, sn_row("fiscal_period", body))
            if fiscal_type == "month":
                months[first] = record_id
    return months


def _write_people(
    seed: int,
    scale: Scale,
    timeline: Timeline,
    rows: RowBuffer,
    departments: list[Department],
    setup: datetime,
) -> list[Person]:
    rng = stream(seed, "people")
    people: list[Person] = []
    taken: set[str] = set()
    history_days = (timeline.anchor - timeline.history_start).days
    for index in range(scale.people):
        first = FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]
        last = LAST_NAMES[rng.randrange(len(LAST_NAMES))]
        base = f"{first.lower()}.{last.lower()}"
        user_name, suffix = base, 1
        while user_name in taken:
            suffix += 1
            user_name = f"{base}{suffix}"
        taken.add(user_name)
        contractor = rng.random() < 0.2
        joined = setup.date()
        if rng.random() < 0.1:
            joined = timeline.history_start + timedelta(days=rng.randint(30, history_days - 60))
        left = None
        if rng.random() < 0.05:
            left = timeline.history_start + timedelta(days=rng.randint(120, history_days - 30))
            if left <= joined + timedelta(days=60):
                left = None
        capacity = 40
        roll = rng.random()
        if roll < 0.08:
            capacity = 32
        elif roll < 0.12:
            capacity = 20
        rate = rng.uniform(95, 160) if contractor else rng.uniform(55, 110)
        people.append(
            Person(
                index=index,
                sys_id=sys_id(seed, "sys_user", user_name),
                user_name=user_name,
                name=f"{first} {last}",
                email=f"{user_name}@{COMPANY_DOMAIN}",
                title=DELIVERY_TITLES[rng.randrange(len(DELIVERY_TITLES))],
                department=rng.randrange(len(departments)),
                rate=round(rate, 2),
                capacity=capacity,
                contractor=contractor,
                joined=joined,
                left=left,
                time_zone=TIME_ZONES[rng.randrange(len(TIME_ZONES))],
            )
        )
        person = people[-1]
        # Most people have a Jira account with the same e-mail; a few write it in another case
        # (Jira keeps what the user typed), some business staff have no account at all.
        roll = rng.random()
        if roll < 0.9:
            person.jira_account = account_id(seed, user_name)
            if rng.random() < 0.04:
                person.jira_email = f"{first}.{last}{'' if suffix == 1 else suffix}@Example.com"
            else:
                person.jira_email = person.email
    return people
