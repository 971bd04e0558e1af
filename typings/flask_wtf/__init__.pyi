"""Flask-WTF 1.3.0, the part Moonly uses."""

from .csrf import CSRFProtect as CSRFProtect
from .form import FlaskForm as FlaskForm
