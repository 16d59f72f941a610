"""newsrag: question answering over news articles, in Dutch or English, with checked citations."""

from newsrag.chatbot import Chatbot

__all__ = ["Chatbot"]
