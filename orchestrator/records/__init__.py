"""The vocabulary every layer shares: states, runs, errors, options, triggers and the clock.

Owns:

* ``states``: ``State``, ``StateType``, the terminal sets and the one table of
  legal transitions;
* ``runs``: ``FlowRun`` and ``TaskRun``, the driver's records of a run;
* ``errors``: the user-facing errors and ``Skip`` (the root error comes from
  ``executors.errors``);
* ``options``: ``TaskOptions`` and ``FlowOptions``, each defined once, with the
  retry schedule;
* ``triggers``: when a task may run, given its upstream states;
* ``clock``: the one source of time, replaceable in tests;
* ``display``: the protocol through which records reach the views that draw them.

May import: ``executors`` and the standard library. Nothing else in
``orchestrator`` (this is the bottom layer).
"""
