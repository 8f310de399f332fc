"""From new attention to messages: detecting what rose (detect), sending it exactly once (deliver), and how it reads (render)."""
