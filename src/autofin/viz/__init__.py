"""`autofin viz`: explore a scenario in the browser as the model steps.

Built on Mesa's `SolaraViz`: `explored.ExploredModel` is the Mesa model behind the page (it
wraps `autofin.world.model.AutofinModel`, and a second copy for the side-by-side comparison),
`terms` holds the sliders and switches that apply on reset, `interventions` the live changes
that apply from the next step on, `components` the page's panels (the report's plotly figures),
`plotly_view` the widget that draws them, `frame` the page's frame (Mesa's controls, named
tabs), `app` the page itself and `server` the command that serves it.
"""
