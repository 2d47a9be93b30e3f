"""The scenario optimiser: which projects and demands to fund, exactly (docs/scenarios.md).

Plain data in (items, costs, effort, budgets, capacity, dependencies), an exact slate out. It knows
nothing of Dagster or DuckDB files (docs/architecture.md "Layers"): Dagster or the CLI reads the
marts into data frames and hands them over, and writes back the frames it gets.

    scenario.py   the scenario file: parsing and validation, one clear message per error
    portfolio.py  the problem as arrays: items, values, resource rows (budget, capacity), rules
    inputs.py     building that problem from the warehouse's marts (frames) and a scenario
    solver.py     the mixed-integer program (HiGHS through highspy), the greedy baseline, why not
    program.py    the program as HiGHS's matrix (proportional columns grouped)
    search.py     local search: the starting slate handed to HiGHS
    analysis.py   one scenario end to end: slate, greedy, frontier, sensitivity
    tables.py     the four scenario marts as frames, with every table's and column's description
"""
