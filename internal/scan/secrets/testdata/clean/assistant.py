import os

from openai import OpenAI
import anthropic

client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])
claude = anthropic.Anthropic()
