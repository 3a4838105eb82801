"""Stencil weather steps: a shallow-water dynamical core and canonical weather stencils."""
