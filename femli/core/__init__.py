"""The coupled-problem core: volumes of a mesh, fields on them, one problem that
collects residual terms, one Newton path with load continuation.

Data flows one way: a :class:`~femli.core.domains.Domain` splits the mesh into
the volumes fields live on; :class:`~femli.core.fields.Field` puts an unknown on
a volume; physics pieces (femli.physics) contribute residual terms;
:class:`~femli.core.problem.CoupledProblem` assembles and solves them;
:class:`~femli.core.model.Model` holds the composition and answers the
analysis (surface currents, balances, dissipation) for any model.
"""
